package db

import (
	"crypto/md5"
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// sampleDump is SQL COPY data shaped like scripts/bench-db.sh's table.
func sampleDump(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = fmt.Appendf(b, "%d\t2024-01-01 00:%02d:%02d+00\tpurchase\t%x %x\t%d.%02d\n", i, i/60%60, i%60, md5.Sum([]byte(fmt.Sprint(i))), md5.Sum([]byte(fmt.Sprint(i*7))), i%1000, i%100)
	}
	return b
}

// BenchmarkCompress measures the compressors db:export uses, in MB/s of
// SQL in.
func BenchmarkCompress(b *testing.B) {
	data := sampleDump(200000)
	run := func(b *testing.B, f Format) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			w, err := f.codec().Writer(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			w.Write(data)
			w.Close()
		}
	}
	b.Run("gzip", func(b *testing.B) { run(b, Gzip) })
	b.Run("zstd", func(b *testing.B) { run(b, Zstd) })
	for _, lvl := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault} {
		b.Run("zstd-"+lvl.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				w, _ := zstd.NewWriter(io.Discard, zstd.WithEncoderLevel(lvl))
				w.Write(data)
				w.Close()
			}
		})
	}
}
