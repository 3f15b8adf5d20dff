package db

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"testing"
)

// BenchmarkCountMyDump measures the drill's reading of a MariaDB dump
// (countMyDump), in MB/s of SQL: extended inserts of rows shaped like
// scripts/bench-db.sh's table, strings with escapes.
func BenchmarkCountMyDump(b *testing.B) {
	var sql []byte
	sql = append(sql, "-- MariaDB dump 10.19\n--\n-- Table structure for table `events`\n--\nCREATE TABLE `events` (`id` int, `at` datetime, `kind` text, `body` text, `amount` decimal(10,2));\n--\n-- Dumping data for table `events`\n--\n"...)
	for i := 0; i < 200000; i++ {
		if i%1000 == 0 {
			if i > 0 {
				sql = append(sql, ";\n"...)
			}
			sql = append(sql, "INSERT INTO `events` VALUES "...)
		} else {
			sql = append(sql, ",\n"...)
		}
		sql = fmt.Appendf(sql, "(%d,'2024-01-01 00:%02d:%02d','purchase','%x \\'%x\\'',%d.%02d)", i, i/60%60, i%60, md5.Sum([]byte(fmt.Sprint(i))), md5.Sum([]byte(fmt.Sprint(i*7))), i%1000, i%100)
	}
	sql = append(sql, ";\n-- Dump completed on 2024-01-01\n"...)
	b.SetBytes(int64(len(sql)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := countMyDump(bytes.NewReader(sql))
		if err != nil || d.rows["events"] != 200000 {
			b.Fatalf("%v %v", d, err)
		}
	}
}
