package jsonout

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.txt")

// outline lists every field of a document type as path: JSON type, so
// that any change to the schema shows up as a change to this file, which
// docs/json.md documents.
func outline(b *strings.Builder, prefix string, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Map:
		outline(b, prefix+"[]", t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				outline(b, prefix, f.Type)
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			ft := f.Type
			nullable := ft.Kind() == reflect.Pointer
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			desc := kind(ft)
			if nullable {
				desc += " or null"
			}
			if strings.Contains(opts, "omitempty") {
				desc += " (may be absent)"
			}
			fmt.Fprintf(b, "%s.%s: %s\n", prefix, name, desc)
			switch ft.Kind() {
			case reflect.Struct:
				outline(b, prefix+"."+name, ft)
			case reflect.Slice, reflect.Map:
				outline(b, prefix+"."+name+"[]", ft.Elem())
			}
		}
	}
}

func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array of " + kind(t.Elem())
	case reflect.Map:
		return "object of " + kind(t.Elem())
	case reflect.Pointer:
		return kind(t.Elem())
	}
	return "object"
}

// TestSchemaPinned fails when a document's fields change without
// testdata/schema.txt (and docs/json.md) changing with them; run with
// -update to rewrite it after a deliberate, compatible change.
func TestSchemaPinned(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "schema %s\n", Schema)
	for _, d := range []struct {
		kind string
		v    any
	}{{KindList, List{}}, {KindHooks, Hooks{}}, {KindStatus, Status{}}, {KindDBList, DBList{}}, {KindVolList, VolList{}}, {KindPlan + ", " + KindReport, Run{}}, {KindHosts, Hosts{}}, {KindVersion, Version{}}} {
		fmt.Fprintf(&b, "\n[%s]\n", d.kind)
		outline(&b, "", reflect.TypeOf(d.v))
	}
	got := b.String()
	const file = "testdata/schema.txt"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the JSON schema changed; update docs/json.md, then run go test ./pkg/report/jsonout -update\n--- got\n%s", got)
	}
}
