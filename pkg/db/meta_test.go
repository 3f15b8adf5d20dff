package db

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Issue 8, defect 5: meta-commands that could leave the scratch database
// or reach the system are refused, naming the line; what only looks like
// one (in strings, comments, dollar quotes, COPY data) is not.
func TestMetaScanner(t *testing.T) {
	refused := map[string]int{ // SQL -> line of the refusal
		"SELECT 1;\n\\connect news\nDELETE FROM items;\n": 2,
		"\\c news\n":                                                      1,
		"SELECT 1; \\! touch /tmp/x\n":                                    1,
		"\\i /etc/passwd\n":                                               1,
		"\\ir x.sql\n":                                                    1,
		"\\o /root/.bashrc\n":                                             1,
		"\\copy items from program 'id'\n":                                1,
		"\\setenv PAGER x\n":                                              1,
		"\\set ON_ERROR_STOP off\n":                                       1,
		"\\gexec\n":                                                       1,
		"SELECT 'a''b';\n\\!id\n":                                         2,
		"SELECT E'it\\'s'; \\! id\n":                                      1,
		"SELECT $$ body $$; \\! id\n":                                     1,
		"SELECT $a$ $b$ ' $a$;\n\\! id\n":                                 2,
		"SELECT 1 /* a /* nested */ still */; \\! id\n":                   1,
		"SELECT x1$y$ FROM t; \\! id\n":                                   1,
		"\\restrict abc \\! id\n":                                         1,
		"  \\restrict abc\n":                                              1,
		"\\restrictx abc\n":                                               1,
		"COPY t FROM stdin;\nrow\n\\.\n\\! id\n":                          4,
		"COPY t FROM stdin; '\nrow\n\\.\n' \\! id\n":                      4,
		"COPY t TO PROGRAM 'rm -rf /';\n":                                 1,
		"copy t (a, b) from program 'id' ;\n":                             1,
		"SELECT '\n\n'; SELECT \"a\n\"; \\!":                              4,
		"-- comment\n/* multi\nline */ \\o x\n":                           3,
		"SELECT 1;\n\\":                                                   2,
		"SELECT 1; -- fine \\!\nSELECT 2; \\w /tmp/f\n":                   2,
		"COPY a FROM stdin; COPY b FROM stdin;\n1\n\\.\n2\n\\.\n\\! id\n": 6,
	}
	for sql, line := range refused {
		err := checkScript("dump.sql", strings.NewReader(sql))
		var me *MetaCommandError
		if !errors.As(err, &me) {
			t.Errorf("%q: %v, want a refusal", sql, err)
			continue
		}
		if me.Line != line || !strings.HasPrefix(err.Error(), "dump.sql:") {
			t.Errorf("%q: %v, want line %d", sql, err, line)
		}
	}
	allowed := []string{
		"\\restrict Zq1xY9\nSET x = 1;\nSELECT 1;\n\\unrestrict Zq1xY9\n",
		"COPY public.items (id, body) FROM stdin;\n1\t\\\\! touch x\n\\\\connect news\n\\N\n\\.\nSELECT 1;\n",
		"COPY t FROM STDIN WITH (FORMAT text);\n\\! data\n\\.\n",
		"CREATE FUNCTION f() RETURNS int AS $_$\n\\! touch x\nSELECT 1\n$_$ LANGUAGE sql;\n",
		"SELECT 'it''s \\! fine', E'\\\\', E'\\'', \"we\\ird\";\n",
		"-- \\connect x\n/* \\! id */ SELECT 1;\n",
		"SELECT 1 \\; SELECT 2;\n",
		"SELECT $1, a$b$ FROM t;\n",
		"SELECT E'line\\\nnext \\! still in string';\n",
		"COPY t FROM stdin;\r\n\\! data\r\n\\.\r\nSELECT 1;\r\n",
	}
	for _, sql := range allowed {
		if err := checkScript("dump.sql", strings.NewReader(sql)); err != nil {
			t.Errorf("%q: %v", sql, err)
		}
		// byte by byte: the same verdict across any chunking
		if err := checkScript("dump.sql", iotest.OneByteReader(strings.NewReader(sql))); err != nil {
			t.Errorf("%q one byte at a time: %v", sql, err)
		}
	}
}

// The filter never hands psql the line with a refused command, not even
// its first bytes.
func TestScanningReaderWithholds(t *testing.T) {
	sql := "SELECT 1;\nCOPY t FROM stdin;\n\\! data\n\\.\nSELECT 2; \\! id\nSELECT 3;\n"
	r := newScanningReader(iotest.HalfReader(strings.NewReader(sql)), "f.sql")
	got, err := io.ReadAll(r)
	var me *MetaCommandError
	if !errors.As(err, &me) || me.Line != 5 {
		t.Fatalf("err = %v", err)
	}
	if safe := "SELECT 1;\nCOPY t FROM stdin;\n\\! data\n\\.\n"; !strings.HasPrefix(safe, string(got)) {
		t.Errorf("passed %q, more than %q", got, safe)
	}
	ok := "SELECT 1;\nSELECT 2;"
	got, err = io.ReadAll(newScanningReader(iotest.OneByteReader(strings.NewReader(ok)), "f.sql"))
	if err != nil || string(got) != ok {
		t.Errorf("clean SQL: %q, %v", got, err)
	}
}
