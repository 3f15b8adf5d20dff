package stack

import (
	"fmt"
	"path"
	"strings"
)

// Select returns the stacks that pattern selects, in name order.
//
// A pattern is a comma-separated list of items, each trimmed of spaces. An
// item is a stack name or a glob (*, ?, [...], [!...]); an item starting with !
// excludes what it matches. A pattern made only of exclusions starts from
// every stack. An item without glob characters that names no stack is an
// error naming the closest stack, and so is an item holding / or .., and a
// pattern that selects nothing.
func Select(stacks []Stack, pattern string) ([]Stack, error) {
	byName := make(map[string]bool, len(stacks))
	for _, s := range stacks {
		byName[s.Name] = true
	}
	var include, exclude []string
	for _, item := range strings.Split(pattern, ",") {
		item = strings.TrimSpace(item)
		typed := item // what messages quote: never kompose's rewriting of it
		neg := strings.HasPrefix(item, "!")
		if neg {
			item = strings.TrimSpace(item[1:])
		}
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") || strings.Contains(item, "..") {
			return nil, fmt.Errorf("pattern item %q: stack names cannot contain '/' or '..'", typed)
		}
		if isGlob(item) {
			item = shellClass(item)
			if _, err := path.Match(item, ""); err != nil {
				return nil, fmt.Errorf("pattern item %q: malformed glob", typed)
			}
		} else if !byName[item] {
			return nil, unknownStack(item, stacks)
		}
		if neg {
			exclude = append(exclude, item)
		} else {
			include = append(include, item)
		}
	}
	if len(include) == 0 && len(exclude) == 0 {
		return nil, fmt.Errorf("empty pattern %q", pattern)
	}
	if len(include) == 0 {
		include = []string{"*"}
	}
	var out []Stack
	for _, s := range stacks {
		if matchAny(include, s.Name) && !matchAny(exclude, s.Name) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pattern %q matches no stack; stacks:%s", pattern, listNames(Names(stacks)))
	}
	return out, nil
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// shellClass rewrites the shell's negated character class [!...] to the
// [^...] that path.Match understands, so "[!b]*" means what it means in
// bash.
func shellClass(glob string) string {
	b := []byte(glob)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // an escaped character is literal
		case '[':
			if i+1 < len(b) && b[i+1] == '!' {
				b[i+1] = '^'
			}
		}
	}
	return string(b)
}

func matchAny(items []string, name string) bool {
	for _, it := range items {
		if ok, _ := path.Match(it, name); ok {
			return true
		}
	}
	return false
}

// UnknownError is a pattern item without glob characters that names no
// stack. [NotAStack] says why, when the root has something of that name.
type UnknownError struct {
	Item string
	msg  string
}

func (e *UnknownError) Error() string { return e.msg }

func unknownStack(item string, stacks []Stack) error {
	names := Names(stacks)
	if len(names) == 0 {
		return &UnknownError{Item: item, msg: fmt.Sprintf("no stack named %q: the root holds no stacks", item)}
	}
	best, bestD := "", -1
	for _, n := range names {
		if d := distance(strings.ToLower(item), strings.ToLower(n)); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	hint := ""
	if bestD <= max(2, len(item)/3) {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return &UnknownError{Item: item, msg: fmt.Sprintf("no stack named %q%s; stacks:%s", item, hint, listNames(names))}
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// listWidth is the width the list of stacks in an error fits in.
const listWidth = 80

// listNames formats the stacks of an error message: " a, b, c" when that
// fits on the line, else one indented row per line below it, in columns
// read top to bottom as ls prints them.
func listNames(names []string) string {
	if line := " " + strings.Join(names, ", "); len(line) <= listWidth-30 {
		return line
	}
	return "\n" + Columns(names, "  ", listWidth)
}

// Columns lays names out in columns read top to bottom (as ls does), each
// row starting with indent and no wider than width when the names allow;
// the rows are joined with newlines, the last without one.
func Columns(names []string, indent string, width int) string {
	const gap = 2
	colW := 0
	for _, n := range names {
		colW = max(colW, len(n))
	}
	colW += gap
	cols := max(1, (width-len(indent)+gap)/colW)
	rows := (len(names) + cols - 1) / cols
	var b strings.Builder
	for r := range rows {
		if r > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(indent)
		for c := 0; ; c++ {
			i := c*rows + r
			if i >= len(names) {
				break
			}
			if c > 0 {
				b.WriteString(strings.Repeat(" ", colW-len(names[i-rows])))
			}
			b.WriteString(names[i])
		}
	}
	return b.String()
}
