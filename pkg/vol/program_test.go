package vol

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// zstdProgram skips the test without the zstd program (fails with
// KOMPOSE_REQUIRE_ALL=1).
func zstdProgram(t *testing.T) {
	t.Helper()
	if _, ok := codec.Zstd.Program(); !ok {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("zstd not installed (KOMPOSE_REQUIRE_ALL=1)")
		}
		t.Skip("zstd not installed")
	}
}

// TestPipelineProgram: with the zstd program, the engine's stream is
// stored unchanged (what follows the tar's end too), counted on its way,
// and read back by the program into kompose; a cut, corrupt or
// lengthened file does not verify.
func TestPipelineProgram(t *testing.T) {
	zstdProgram(t)
	ctx := context.Background()
	run := proc.OS{}
	stream := append(sample(t), make([]byte, 10240)...) // docker cp pads its stream
	p := Pipeline{Codec: codec.Zstd}
	if _, ok := p.Program(); !ok {
		t.Fatal("no program for zstd")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "a.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts, err := p.WriteFile(ctx, run, os.Environ(), bytes.NewReader(stream), f)
	if err != nil || counts != (Counts{Files: 8, Bytes: 113}) {
		t.Fatalf("WriteFile: %+v %v", counts, err)
	}
	stored, _ := os.ReadFile(f.Name())
	zr, err := codec.Zstd.Reader(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, stream) {
		t.Errorf("the stored stream is not the engine's (%d bytes of %d, %v)", len(plain), len(stream), err)
	}
	got, sum, err := p.VerifyFile(ctx, run, os.Environ(), f)
	want := sha256.Sum256(stored)
	if err != nil || got != counts || sum != hex.EncodeToString(want[:]) {
		t.Errorf("VerifyFile: %+v %s %v", got, sum, err)
	}
	// The Go reader agrees with the program (the same sha256 and counts).
	if got2, sum2, err := p.Verify(bytes.NewReader(stored)); err != nil || got2 != got || sum2 != sum {
		t.Errorf("Verify: %+v %s %v", got2, sum2, err)
	}
	bad := map[string][]byte{
		"cut":        stored[:len(stored)-1],
		"half":       stored[:len(stored)/2],
		"corrupt":    append(append([]byte{}, stored[:len(stored)/2]...), append([]byte{stored[len(stored)/2] ^ 0xff}, stored[len(stored)/2+1:]...)...),
		"lengthened": append(append([]byte{}, stored...), "trailing"...),
	}
	for name, b := range bad {
		g, err := os.Create(filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		g.Write(b)
		if c, _, err := p.VerifyFile(ctx, run, os.Environ(), g); err == nil {
			t.Errorf("a %s archive verifies (%+v)", name, c)
		}
		g.Close()
	}
	// A stream cut in the middle is not written as an archive.
	if _, err := p.WriteFile(ctx, run, os.Environ(), bytes.NewReader(stream[:len(stream)/3]), f); err == nil {
		t.Error("a tar stream cut in the middle was written")
	}
	// A layer (or a tee) needs the bytes in Go: no program.
	if _, ok := (Pipeline{Codec: codec.Zstd, Layers: []Layer{xorLayer{}}}).Program(); ok {
		t.Error("the program is used under a layer")
	}
	if _, ok := (Pipeline{Codec: codec.Zstd, Tee: io.Discard}).Program(); ok {
		t.Error("the program is used with a tee")
	}
	if _, ok := (Pipeline{Codec: codec.Gzip}).Program(); ok {
		t.Error("a program for gzip")
	}
}

// TestProgramFailureStopsWrite: a compression program that fails is the
// write's failure, and the stream's reader is not left blocked.
func TestProgramFailureStopsWrite(t *testing.T) {
	zstdProgram(t)
	p := Pipeline{Codec: codec.Zstd}
	f, err := os.Open(os.DevNull) // read-only: the program cannot write
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	big := tarOf(t, &tar.Header{Name: "./big", Typeflag: tar.TypeReg, Mode: 0o644, Size: 8 << 20})
	if _, err := p.WriteFile(context.Background(), proc.OS{}, os.Environ(), bytes.NewReader(big), f); err == nil {
		t.Error("a program that cannot write its output did not fail the write")
	}
}
