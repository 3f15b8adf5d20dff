package codec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/kompose-dev/kompose/pkg/proc"
)

// Program is the compression program of a codec, installed on the host,
// that kompose runs instead of its own encoder and decoder where nothing
// needs the bytes in Go (no encryption, no offsite copy of the stream):
// today the zstd program. Its C encoder needs about 0.75 of the CPU of
// klauspost's for the same ratio, and its decoder a third of the time, which
// is the wall time of a backup on a small machine (docs/performance.md).
// Both write and read the standard format: a file made by one is read by
// the other.
type Program struct {
	Path string
	// Threads is zstd's -T: 1 compresses in one thread (the default), 0
	// in as many as there are cores (what reading the input, compressing
	// and writing overlap with).
	Threads int
}

// Program returns the program of c when it is installed (only zstd has
// one); ok is false otherwise, and the caller uses [Codec.Writer] and
// [Codec.Reader].
func (c Codec) Program() (p Program, ok bool) {
	if c != Zstd {
		return Program{}, false
	}
	path, err := exec.LookPath("zstd")
	if err != nil {
		return Program{}, false
	}
	return Program{Path: path, Threads: 1}, true
}

// CompressArgv is the command that compresses its standard input to its
// standard output at zstd's level 3 (the Go encoder's default).
func (p Program) CompressArgv() []string {
	argv := []string{p.Path, "-q", "-3"}
	if p.Threads != 1 {
		argv = append(argv, fmt.Sprintf("-T%d", p.Threads))
	}
	return append(argv, "-c")
}

// DecompressArgv is the command that decompresses its standard input, in
// full (a truncated or corrupt stream, or one whose checksum does not
// match, makes it fail), to its standard output.
func (p Program) DecompressArgv() []string { return []string{p.Path, "-q", "-dc"} }

// Compress runs the program from in to out with run; env is its whole
// environment (never one holding a secret: the program needs none). Give
// it *os.File ends (a pipe, the file) and no byte passes through kompose.
func (p Program) Compress(ctx context.Context, run proc.Runner, in io.Reader, out io.Writer, env []string) error {
	return p.run(ctx, run, p.CompressArgv(), in, out, env)
}

// Decompress runs the program's decoder from in to out; see Compress.
func (p Program) Decompress(ctx context.Context, run proc.Runner, in io.Reader, out io.Writer, env []string) error {
	return p.run(ctx, run, p.DecompressArgv(), in, out, env)
}

func (p Program) run(ctx context.Context, run proc.Runner, argv []string, in io.Reader, out io.Writer, env []string) error {
	var errb bytes.Buffer
	err := run.Run(ctx, proc.Cmd{Argv: argv, Env: env, Stdin: in, Stdout: out, Stderr: &errb})
	if err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return fmt.Errorf("zstd: %w (%s)", err, msg)
		}
		return fmt.Errorf("zstd: %w", err)
	}
	return nil
}
