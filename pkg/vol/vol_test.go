package vol

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// tarOf builds a tar stream like the engine's: "./" first, then entries.
func tarOf(t *testing.T, entries ...*tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range append([]*tar.Header{{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}}, entries...) {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sample(t *testing.T) []byte {
	return tarOf(t,
		&tar.Header{Name: "./a", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 10, Uid: 1234, Gid: 5678},
		&tar.Header{Name: "./cache/", Typeflag: tar.TypeDir, Mode: 0o755},
		&tar.Header{Name: "./cache/big", Typeflag: tar.TypeReg, Mode: 0o644, Size: 100},
		&tar.Header{Name: "./hard", Typeflag: tar.TypeLink, Linkname: "./a"},
		&tar.Header{Name: "./to-cache", Typeflag: tar.TypeLink, Linkname: "./cache/big"},
		&tar.Header{Name: "./link", Typeflag: tar.TypeSymlink, Linkname: "a"},
		&tar.Header{Name: "./" + strings.Repeat("n", 255), Typeflag: tar.TypeReg, Mode: 0o600, Size: 3},
	)
}

func TestPipelineRoundTrip(t *testing.T) {
	for _, c := range []codec.Codec{codec.None, codec.Gzip, codec.Zstd} {
		p := Pipeline{Codec: c, Exclude: []string{"cache"}}
		var out bytes.Buffer
		counts, err := p.Write(bytes.NewReader(sample(t)), &out)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		// "./", a, hard, link, the long name; cache, cache/big and the
		// link to it left out.
		if counts != (Counts{Files: 5, Bytes: 13, Excluded: 3}) {
			t.Errorf("%s: counts %+v", c, counts)
		}
		got, sum, err := p.Verify(bytes.NewReader(out.Bytes()))
		if err != nil || got.Files != 5 || got.Bytes != 13 || len(sum) != 64 {
			t.Errorf("%s: verify %+v %q %v", c, got, sum, err)
		}
		if c == codec.None {
			continue
		}
		// Cut anywhere, the archive does not read back whole.
		for _, n := range []int{out.Len() / 2, out.Len() - 1} {
			if _, _, err := p.Verify(bytes.NewReader(out.Bytes()[:n])); err == nil {
				t.Errorf("%s: a copy cut at %d of %d verifies", c, n, out.Len())
			}
		}
	}
}

func TestPipelineRefusesBrokenStream(t *testing.T) {
	s := sample(t)
	if _, err := (Pipeline{Codec: codec.Zstd}).Write(bytes.NewReader(s[:len(s)/2]), io.Discard); err == nil {
		t.Error("a tar stream cut in the middle was written as an archive")
	}
}

// xorLayer stands for a later layer (encryption): it changes every byte.
type xorLayer struct{}

func (xorLayer) Suffix() string { return ".x" }
func (xorLayer) Wrap(w io.Writer) (io.WriteCloser, error) {
	return xorWriter{w}, nil
}
func (xorLayer) Unwrap(r io.Reader) (io.Reader, error) { return xorReader{r}, nil }

type xorWriter struct{ w io.Writer }

func (x xorWriter) Write(p []byte) (int, error) {
	q := make([]byte, len(p))
	for i, b := range p {
		q[i] = b ^ 0x5a
	}
	return x.w.Write(q)
}
func (xorWriter) Close() error { return nil }

type xorReader struct{ r io.Reader }

func (x xorReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	for i := range p[:n] {
		p[i] ^= 0x5a
	}
	return n, err
}

// TestPipelineSeam: a layer wraps what is stored, the tee sees exactly
// the stored bytes, and Verify reads it back through the layer.
func TestPipelineSeam(t *testing.T) {
	var tee bytes.Buffer
	p := Pipeline{Codec: codec.Zstd, Layers: []Layer{xorLayer{}}, Tee: &tee}
	if p.Suffix() != ".tar.zst.x" {
		t.Errorf("suffix %q", p.Suffix())
	}
	var out bytes.Buffer
	if _, err := p.Write(bytes.NewReader(sample(t)), &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tee.Bytes(), out.Bytes()) {
		t.Error("the tee did not get the stored bytes")
	}
	if codec.Sniff(out.Bytes()) == codec.Zstd {
		t.Error("the layer did not wrap the compressed stream")
	}
	if got, _, err := p.Verify(bytes.NewReader(out.Bytes())); err != nil || got.Files != 8 {
		t.Errorf("verify through the layer: %+v %v", got, err)
	}
	if _, _, err := (Pipeline{Codec: codec.Zstd}).Verify(bytes.NewReader(out.Bytes())); err == nil {
		t.Error("verified without unwrapping the layer")
	}
}

func TestExcluded(t *testing.T) {
	for _, tc := range []struct {
		pats []string
		name string
		want bool
	}{
		{[]string{"cache"}, "./cache/", true},
		{[]string{"cache"}, "./cache/x/y", true},
		{[]string{"cache"}, "./cachet", false},
		{[]string{"*.tmp"}, "./a.tmp", true},
		{[]string{"*.tmp"}, "./d/a.tmp", false},
		{[]string{"d/*.tmp"}, "./d/a.tmp", true},
		{[]string{"/logs/"}, "./logs/today", true},
		{[]string{"x"}, "./", false},
	} {
		if got := excluded(tc.pats, tc.name); got != tc.want {
			t.Errorf("excluded(%v, %q) = %v", tc.pats, tc.name, got)
		}
	}
}

func TestNamesAndList(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 4, 3, 15, 0, 0, time.Local)
	for _, n := range []string{
		FileName("pg_data", at, 1, ".tar.zst"), FileName("pg_data", at, 2, ".tar.zst"),
		FileName("files", at.Add(-time.Hour), 1, ".tar.gz"), "notes.txt", "pg_data_2026.tar.zst",
		".pg_data_20261204_031500.tar.zst.1.partial",
	} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("notes.txt", filepath.Join(dir, FileName("link", at, 1, ".tar"))); err != nil {
		t.Fatal(err)
	}
	all, err := List(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range all {
		names = append(names, a.Base+"@"+a.Name)
	}
	want := "pg_data@pg_data_20261204_031500_2.tar.zst pg_data@pg_data_20261204_031500.tar.zst files@files_20261204_021500.tar.gz"
	if strings.Join(names, " ") != want {
		t.Errorf("List = %v\nwant %s", names, want)
	}
	if p := freePath(dir, "pg_data", at, ".tar.zst"); filepath.Base(p) != "pg_data_20261204_031500_3.tar.zst" {
		t.Errorf("freePath = %s", p)
	}
}

// stackOf plans a stack of a compose file written into a new root.
func stackOf(t *testing.T, files map[string]string) *plan.Stack {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "app")
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &plan.Stack{Stack: stack.Stack{Name: "app", Dir: dir, ComposeFile: filepath.Join(dir, "compose.yaml")}, Env: env.New()}
}

func TestTargets(t *testing.T) {
	s := stackOf(t, map[string]string{
		"compose.yaml": `name: k21t
services:
  web:
    image: nginx
    volumes: [data:/data, ./files:/files, ./nginx.conf:/etc/nginx.conf, /srv/outside:/o, ./data/db:/db, shared:/s]
  db:
    image: postgres
    volumes: [data:/backup]
volumes:
  data: {}
  shared: {external: true, name: the-shared}
  named: {name: custom-name}
x-kompose:
  backup:
    paths: [extra]
    exclude: [cache]
    stop: [web]
`,
		"nginx.conf":   "x",
		"files/a":      "a",
		"data/db/x":    "x",
		"extra/readme": "r",
	})
	all, proj, b, err := Targets(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range all {
		got = append(got, string(x.Kind)+":"+x.Name+"="+strings.TrimPrefix(x.Engine, s.Dir+"/")+"["+strings.Join(x.Services, ",")+"]")
		if x.External {
			got[len(got)-1] += "(external)"
		}
	}
	want := "volume:data=k21t_data[db,web] bind:data/db=data/db[web] bind:extra=extra[] bind:files=files[web] volume:named=custom-name[] volume:shared=the-shared[web](external)"
	if strings.Join(got, " ") != want || proj.Name != "k21t" {
		t.Errorf("Targets:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if strings.Join(b.Exclude, ",") != "cache" || strings.Join(b.Stop, ",") != "web" {
		t.Errorf("backup %+v", b)
	}
	sel, err := Select(all, nil)
	if err != nil || len(sel) != 5 {
		t.Errorf("Select() = %v, %v: want all but the external one", sel, err)
	}
	if sel, err := Select(all, []string{"the-shared", "data-db"}); err != nil || len(sel) != 2 || sel[0].Name != "shared" || sel[1].Name != "data/db" {
		t.Errorf("Select(engine name, file base) = %v, %v", sel, err)
	}
	if _, err := Select(all, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "(it has: data, data/db, extra, files, named, shared)") {
		t.Errorf("Select(nope): %v", err)
	}
}

func TestTargetsRefuses(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"x-kompose: {backup: {stop: [nosuch]}}", `x-kompose.backup.stop: no service "nosuch"`},
		{"x-kompose: {backup: {paths: [../elsewhere]}}", `not a folder inside the stack's folder`},
		{"x-kompose: {backup: {exclude: ['[']}}", `x-kompose.backup.exclude: "["`},
		{"x-kompose: {backup: {keep: 3}}", `x-kompose.backup.keep: unknown key (known: paths, exclude, stop)`},
		{"x-kompose: {backup: [a]}", `x-kompose.backup must be a mapping`},
	} {
		s := stackOf(t, map[string]string{"compose.yaml": "services: {web: {image: nginx}}\n" + tc.yaml + "\n"})
		if _, _, _, err := Targets(context.Background(), s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// vol:import reads the whole archive before anything changes; an entry
// that would land outside the target (an absolute name, "..") is refused
// there, and so, for a host folder (a bind target, where any local user
// may reach what is extracted), are device nodes and set-user/group-ID
// files, which docker cp -a would otherwise create as root on the host.
func TestImportRefusesHostileEntries(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, h *tar.Header) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, tarOf(t, h), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name     string
		h        *tar.Header
		bind, vo bool // refused for a bind target, for a volume
	}{
		{"setuid", &tar.Header{Name: "./sh", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 4}, true, false},
		{"setgid", &tar.Header{Name: "./sh", Typeflag: tar.TypeReg, Mode: 0o2755, Size: 4}, true, false},
		{"blockdev", &tar.Header{Name: "./sda", Typeflag: tar.TypeBlock, Mode: 0o666, Devmajor: 8}, true, false},
		{"chardev", &tar.Header{Name: "./mem", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 1}, true, false},
		{"dotdot", &tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}, true, true},
		{"absolute", &tar.Header{Name: "/etc/cron.d/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}, true, true},
		{"setgid-dir", &tar.Header{Name: "./shared/", Typeflag: tar.TypeDir, Mode: 0o2775}, false, false},
		{"plain", &tar.Header{Name: "./a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}, false, false},
	}
	for _, c := range cases {
		p := write(c.name+".tar", c.h)
		for _, tc := range []struct {
			kind    Kind
			refused bool
		}{{Bind, c.bind}, {Volume, c.vo}} {
			x := &Import{Archive: p, Codec: codec.None, Target: Target{Name: "data", Kind: tc.kind}}
			_, err := x.check(context.Background(), &plan.ActionEnv{Proc: proc.OS{}})
			if tc.refused && (err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.h.Name, "./")) || !strings.Contains(err.Error(), "nothing was changed")) {
				t.Errorf("%s into a %s: want a refusal naming the entry, got %v", c.name, tc.kind, err)
			}
			if !tc.refused && err != nil {
				t.Errorf("%s into a %s: %v", c.name, tc.kind, err)
			}
		}
	}
}

// recordingRunner records every process instead of running it.
type recordingRunner struct{ argv *[][]string }

func (r recordingRunner) Run(_ context.Context, c proc.Cmd) error {
	*r.argv = append(*r.argv, c.Argv)
	return nil
}

// A bind target whose folder is (or passes through) a symlink leading
// out of the stack's folder is refused before docker mounts it: docker
// follows the symlink on the host, so whoever can write the folder
// above it (the app's own user, through its bind mount) would make
// vol:import empty and overwrite, and vol:export archive, any folder of
// the host (/etc, /root) as root. A symlink staying inside the stack's
// folder, a stack folder reached through a symlink, and a link leading
// out that only trusted accounts could have made (the admin's link to
// another disk, in a folder only they may write) are fine.
func TestBindSymlinkOutOfStackRefused(t *testing.T) {
	root := t.TempDir()
	stackDir := filepath.Join(root, "stack")
	outside := filepath.Join(root, "etc")
	for _, d := range []string{filepath.Join(stackDir, "app"), filepath.Join(stackDir, "real"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// app/ is the app's (uid 65534 here), bind-mounted into its
	// container: it made uploads a link to a folder of the host.
	must(os.Symlink(outside, filepath.Join(stackDir, "app", "uploads")))
	if os.Geteuid() != 0 {
		t.Skip("needs root to give app/ to another account")
	}
	must(os.Lchown(filepath.Join(stackDir, "app", "uploads"), 65534, 65534))
	// ... or to the stack's own backup folder, inside the stack: vol:import
	// would empty it, the safety copy just written with it.
	must(os.MkdirAll(filepath.Join(stackDir, "backups"), 0o750))
	must(os.Symlink(filepath.Join(stackDir, "backups"), filepath.Join(stackDir, "app", "media")))
	must(os.Lchown(filepath.Join(stackDir, "app", "media"), 65534, 65534))
	must(os.MkdirAll(filepath.Join(stackDir, "app", "plain"), 0o755))
	must(os.Chown(filepath.Join(stackDir, "app"), 65534, 65534))
	must(os.Symlink("real", filepath.Join(stackDir, "inside")))
	must(os.Symlink(stackDir, filepath.Join(root, "via")))
	// The admin's own link to a bigger disk, in the stack's folder.
	must(os.Symlink(outside, filepath.Join(stackDir, "disk")))
	for _, c := range []struct {
		dir, rel string
		refused  bool
	}{
		{stackDir, "app/uploads", true},
		{stackDir, "app/media", true},
		{stackDir, "app/plain", false},
		{filepath.Join(root, "via"), "app/plain", false},
		{stackDir, "inside", false},
		{stackDir, "real", false},
		{stackDir, "disk", false},
		{filepath.Join(root, "via"), "app/uploads", true},
		{filepath.Join(root, "via"), "inside", false},
	} {
		var calls [][]string
		ex := &plan.ActionEnv{Proc: recordingRunner{&calls}, Stack: &plan.Stack{Stack: stack.Stack{Dir: c.dir}}}
		tg := Target{Name: c.rel, Kind: Bind, Engine: filepath.Join(c.dir, c.rel)}
		e := engine{ex: ex}
		errClear := e.clear(context.Background(), tg, "img")
		_, errHelper := e.helper(context.Background(), "krevp", tg, []string{"img"}, false)
		for what, err := range map[string]error{"clear": errClear, "helper": errHelper} {
			if c.refused && (err == nil || !strings.Contains(err.Error(), "symbolic link")) {
				t.Errorf("%s %s: want a refusal naming the link, got %v", what, tg.Engine, err)
			}
			if !c.refused && err != nil {
				t.Errorf("%s %s: %v", what, tg.Engine, err)
			}
		}
		for _, a := range calls {
			if c.refused && slices.Contains(a, "--mount") {
				t.Errorf("%s: docker was asked to mount it: %q", tg.Engine, a)
			}
		}
	}
}

// A plain .tar cut exactly after an entry (its end-of-archive blocks
// missing) is not whole: Go's tar reader takes such a cut for the end, so
// without a manifest vol:import would have emptied the volume and
// restored a part of it as a success.
func TestVerifyWantsTheTarTrailer(t *testing.T) {
	whole := tarOf(t,
		&tar.Header{Name: "./a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 700},
		&tar.Header{Name: "./b", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
	)
	if _, _, err := (Pipeline{}).Verify(bytes.NewReader(whole)); err != nil {
		t.Fatalf("whole archive: %v", err)
	}
	// "./" (512), a's header and 2 blocks of data (1536), b's header: cut
	// before b, and after b's data (the trailer gone).
	for _, n := range []int{512 + 1536, 512 + 1536 + 1024} {
		if c, _, err := (Pipeline{}).Verify(bytes.NewReader(whole[:n])); err == nil {
			t.Errorf("cut at %d of %d: verifies (%+v)", n, len(whole), c)
		}
	}
}
