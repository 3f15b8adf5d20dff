package db

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// The DEFINER clauses of the lines mariadb-dump writes for views,
// triggers, routines and events are loaded as CURRENT_USER and
// remembered by object; data and anything else pass untouched.
func TestDefinerFilter(t *testing.T) {
	in := strings.Join([]string{
		"INSERT INTO `t` VALUES (1,'CREATE DEFINER=`root`@`%` PROCEDURE `x`()');",
		"/*!50001 CREATE ALGORITHM=UNDEFINED */",
		"/*!50013 DEFINER=`own``er`@`%` SQL SECURITY DEFINER */",
		"/*!50001 VIEW `v1` AS select 1 AS `1` */;",
		"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER items_shout BEFORE INSERT ON items FOR EACH ROW SET NEW.shout = UPPER(NEW.body) */;;",
		"/*!50003 CREATE*/ /*!50017 DEFINER=`a`@`b`*/ /*!50003 TRIGGER `tr``q` AFTER INSERT ON items FOR EACH ROW SET @x = 1 */;;",
		"CREATE DEFINER=`app`@`10.0.0.%` PROCEDURE `bump`(IN k INT)",
		"CREATE DEFINER=`app`@`%` FUNCTION `answer`() RETURNS int(11)",
		"/*!50106 CREATE*/ /*!50117 DEFINER=`ev`@`%`*/ /*!50106 EVENT `nightly` ON SCHEDULE EVERY 1 DAY DO DELETE FROM items */ ;;",
		"CREATE DEFINER=`role_only` PROCEDURE `r`()",
		"  CREATE DEFINER=`root`@`%` PROCEDURE `indented`()",
		"",
	}, "\n")
	f := newDefinerFilter(iotest.OneByteReader(strings.NewReader(in)))
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"INSERT INTO `t` VALUES (1,'CREATE DEFINER=`root`@`%` PROCEDURE `x`()');",
		"/*!50001 CREATE ALGORITHM=UNDEFINED */",
		"/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */",
		"/*!50001 VIEW `v1` AS select 1 AS `1` */;",
		"/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER items_shout BEFORE INSERT ON items FOR EACH ROW SET NEW.shout = UPPER(NEW.body) */;;",
		"/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER `tr``q` AFTER INSERT ON items FOR EACH ROW SET @x = 1 */;;",
		"CREATE DEFINER=CURRENT_USER PROCEDURE `bump`(IN k INT)",
		"CREATE DEFINER=CURRENT_USER FUNCTION `answer`() RETURNS int(11)",
		"/*!50106 CREATE*/ /*!50117 DEFINER=CURRENT_USER*/ /*!50106 EVENT `nightly` ON SCHEDULE EVERY 1 DAY DO DELETE FROM items */ ;;",
		"CREATE DEFINER=CURRENT_USER PROCEDURE `r`()",
		"  CREATE DEFINER=`root`@`%` PROCEDURE `indented`()",
		"",
	}, "\n")
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	wantDefs := myDefiners{
		{"VIEW", "v1"}:             "`own``er`@`%`",
		{"TRIGGER", "items_shout"}: "`root`@`localhost`",
		{"TRIGGER", "tr`q"}:        "`a`@`b`",
		{"PROCEDURE", "bump"}:      "`app`@`10.0.0.%`",
		{"FUNCTION", "answer"}:     "`app`@`%`",
		{"EVENT", "nightly"}:       "`ev`@`%`",
		{"PROCEDURE", "r"}:         "`role_only`",
	}
	if len(f.definers) != len(wantDefs) {
		t.Errorf("definers %v", f.definers)
	}
	for k, v := range wantDefs {
		if f.definers[k] != v {
			t.Errorf("definer of %v: %q, want %q", k, f.definers[k], v)
		}
	}

	c := myContent{objects: []myObject{
		{kind: "PROCEDURE", name: "bump", create: "CREATE DEFINER=`kompose_load_x`@`localhost` PROCEDURE `bump`(IN k INT) SELECT 1"},
		{kind: "VIEW", name: "unknown", create: "CREATE ALGORITHM=UNDEFINED DEFINER=`kompose_load_x`@`localhost` SQL SECURITY DEFINER VIEW `unknown` AS select 1"},
		{kind: "FUNCTION", name: "answer", create: "CREATE DEFINER=`someone`@`%` FUNCTION `answer`() RETURN 1"},
	}}
	restoreDefiners(&c, &myLoad{definers: f.definers, loader: "`kompose_load_x`@`localhost`"})
	for i, w := range []string{
		"CREATE DEFINER=`app`@`10.0.0.%` PROCEDURE `bump`(IN k INT) SELECT 1",
		"CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY DEFINER VIEW `unknown` AS select 1",
		"CREATE DEFINER=`someone`@`%` FUNCTION `answer`() RETURN 1",
	} {
		if c.objects[i].create != w {
			t.Errorf("restored %q, want %q", c.objects[i].create, w)
		}
	}
}

// The grant of the scratch database covers it alone: _ and % are
// wildcards in a GRANT's database name.
func TestGrantDB(t *testing.T) {
	if got, want := grantDB("my_app%x`y"), "`my\\_app\\%x``y`"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if s := loaderStem("shop"); len(s)+8 > 32 || !strings.HasPrefix(s, myLoaderPrefix) {
		t.Errorf("stem %q: names longer than MySQL's 32", s)
	}
}

// BenchmarkDefinerFilter reads a dump shaped like mariadb-dump's (long
// extended-INSERT lines, short DDL lines) through the filter, against
// io.Copy of the same bytes.
func BenchmarkDefinerFilter(b *testing.B) {
	var sb strings.Builder
	row := "(1,'" + strings.Repeat("x", 200) + "'),"
	for sb.Len() < 64<<20 {
		sb.WriteString("--\n-- Table structure\n--\nCREATE TABLE `t` (`id` int) ENGINE=InnoDB;\n")
		sb.WriteString("CREATE DEFINER=`app`@`%` PROCEDURE `p`() SELECT 1;\n")
		sb.WriteString("INSERT INTO `t` VALUES " + strings.Repeat(row, 4000) + "(0,'');\n")
	}
	dump := sb.String()
	b.Run("filter", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		for i := 0; i < b.N; i++ {
			if _, err := io.Copy(io.Discard, newDefinerFilter(strings.NewReader(dump))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		for i := 0; i < b.N; i++ {
			if _, err := io.Copy(io.Discard, struct{ io.Reader }{strings.NewReader(dump)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
