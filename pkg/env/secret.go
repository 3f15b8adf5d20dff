package env

import (
	"fmt"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask is what a secret value is replaced with in anything kompose prints.
const Mask = "****"

// SecretsVar names more secret variables: a comma- or space-separated list
// of names or glob patterns (DB_CONN, *_DSN), in any case, from the process
// environment, any .env or -e.
const SecretsVar = "KOMPOSE_SECRETS"

// secretWords mark a variable as secret wherever they appear in its name.
var secretWords = [...]string{"PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "SECRET", "CREDENTIAL", "APIKEY", "AUTHKEY", "PRIVKEY"}

// secretParts mark a variable as secret when they are its last name part
// (parts are separated by _, - or .), or followed only by a number:
// API_KEY, PRIVATE_KEY, MYSQL_ROOT_PASS, POSTGRES_PW, BASIC_AUTH, API_KEY_2;
// not KEYCLOAK_URL, MONKEY, SSH_KEY_FILE or AWS_ACCESS_KEY_ID.
var secretParts = map[string]bool{"PASS": true, "PW": true, "PWD": true, "KEY": true, "AUTH": true, "CREDS": true}

// secretNames are secret by their whole name.
var secretNames = map[string]bool{"KOMPOSE_PING_URL": true, "KOMPOSE_NOTIFY_URL": true}

// IsSecret reports whether a variable with this name holds a secret, by
// kompose's built-in rule (docs/security.md): its name contains PASSWORD,
// PASSWD, PASSPHRASE, TOKEN, SECRET, CREDENTIAL, APIKEY, AUTHKEY or
// PRIVKEY, or its last name part is PASS, PW, PWD, KEY, AUTH or CREDS
// (PWD and OLDPWD themselves, a shell's working folders, excepted, and so
// is PUBLIC_KEY), in any case; KOMPOSE_PING_URL and KOMPOSE_NOTIFY_URL
// are secrets by their whole name. [Masker.IsSecret] adds KOMPOSE_SECRETS.
func IsSecret(name string) bool {
	u := strings.ToUpper(name) // no copy when name is upper case already
	if secretNames[u] {
		return true
	}
	if u == SecretsVar {
		return false // names, not secrets
	}
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	if u == "PWD" || u == "OLDPWD" {
		return false
	}
	// The last name part, a trailing number (API_KEY_2) skipped when other
	// parts come before it, and the part before that; found in place:
	// this runs for every variable of every stack.
	last, rest, ok := lastPart(u)
	if !ok {
		return false
	}
	for isNumber(last) {
		p, r, more := lastPart(rest)
		if !more {
			break
		}
		last, rest = p, r
	}
	if last == "KEY" {
		if prev, _, _ := lastPart(rest); prev == "PUBLIC" || prev == "PUB" {
			return false
		}
	}
	return secretParts[last]
}

// lastPart splits s at its last name part (parts are separated by _, - or
// .): the part and what comes before it; ok is false when s has no part.
func lastPart(s string) (part, rest string, ok bool) {
	end := len(s)
	for end > 0 && isNameSep(s[end-1]) {
		end--
	}
	start := end
	for start > 0 && !isNameSep(s[start-1]) {
		start--
	}
	return s[start:end], s[:start], end > start
}

func isNameSep(c byte) bool { return c == '_' || c == '-' || c == '.' }

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// minMaskLen is the shortest secret value masked inside free text and
// arguments; shorter ones are masked only as a whole variable or a whole
// argument.
const minMaskLen = 4

// strongLen is the shortest secret value masked wherever it occurs, even
// inside a longer word, when it also mixes kinds of characters (letters and
// digits, say): such a string does not occur by chance. Shorter or plainer
// values are masked only as whole words (see [Masker.String]).
const strongLen = 8

// Masker hides secret values in text meant for people.
//
// The rule (docs/security.md): a variable whose name is secret is shown
// as [Mask]. Its value is replaced by [Mask] wherever kompose prints a
// value: a whole argument or value equal to it, and inside other text
// where it stands as a word of its own (not preceded or followed by a
// letter or digit), or anywhere when it is at least 8 characters long
// and mixes kinds of characters. Strings kompose prints that are not
// values (the compose command, the stack's name and folder, the root: see
// [Masker.WithPublic]) are never masked: masking a word everyone can see
// would reveal the secret that equals it, and hide nothing. Values like
// true, false, yes, no, on, off, 0 and 1 are not masked in text either,
// for the same reason.
type Masker struct {
	patterns []string // KOMPOSE_SECRETS, upper case
	// names are secret whatever their names: set by an encrypted .env.
	names  map[string]bool
	values []string // secret values, longest first
	public []string // never masked
}

// NewMasker returns a Masker for the secret variables of e.
func NewMasker(e *Env) *Masker {
	m := e.nameMasker()
	seen := map[string]bool{}
	for k, v := range e.vals {
		// The password of a URL is a secret whatever the variable's name
		// (DOCKER_HOST=tcp://u:pw@h, DATABASE_URL=postgres://u:pw@h/db),
		// as written (p%40ss) and decoded (p@ss), wherever it shows.
		for _, pw := range URLPasswords(v) {
			if !seen[pw] && !plainWord(pw) {
				seen[pw] = true
				m.values = append(m.values, pw)
			}
		}
		if v == "" || seen[v] || !m.IsSecret(k) || plainWord(v) {
			continue
		}
		seen[v] = true
		m.values = append(m.values, v)
		// Libraries quote values Go's way in their errors ("Invalid
		// template: \"a\\\"b\""): mask that spelling too.
		if q := strconv.Quote(v); q[1:len(q)-1] != v && !seen[q[1:len(q)-1]] {
			seen[q[1:len(q)-1]] = true
			m.values = append(m.values, q[1:len(q)-1])
		}
	}
	// Longest first, so a secret containing another is masked whole.
	sortLongestFirst(m.values)
	return m
}

// nameMasker is a Masker that knows which of e's names are secret
// (KOMPOSE_SECRETS, the variables of an encrypted .env), without values.
func (e *Env) nameMasker() *Masker {
	return &Masker{patterns: secretPatterns(e), names: e.secret}
}

// secretPatterns are the names and patterns of KOMPOSE_SECRETS in e, upper
// case.
func secretPatterns(e *Env) []string {
	var out []string
	if v, ok := e.vals[SecretsVar]; ok {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			out = append(out, strings.ToUpper(p))
		}
	}
	return out
}

// urlUserinfo finds the user information of URL-shaped text, any scheme:
// scheme://user:password@. The password runs to the last @ before the
// end of the authority (a /, ?, # or space), so a raw @ in it (u:p@ss@h)
// is part of it; quotes and angle brackets end it, as they end a URL in
// text. Group 1 is everything up to the colon, group 2 the password.
var urlUserinfo = regexp.MustCompile("([A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#@:\"'<>`]*:)([^\\s/?#\"'<>`]*)@")

// URLPasswords returns the passwords of the URLs in v, anywhere in it, as
// written and, when they are percent-encoded, decoded too.
func URLPasswords(v string) []string {
	if !strings.Contains(v, "://") {
		return nil
	}
	var out []string
	for _, g := range urlUserinfo.FindAllStringSubmatch(v, -1) {
		pw := g[2]
		if pw == "" {
			continue
		}
		out = append(out, pw)
		if d, err := url.PathUnescape(pw); err == nil && d != pw && d != "" {
			out = append(out, d)
		}
	}
	return out
}

// maskURLPasswords replaces the password of every URL-shaped text in s
// by [Mask], known or not (a URL typed as an argument, one a library
// prints), except inside the public words at spans.
func maskURLPasswords(s string, public func(from, to int) bool) string {
	if !strings.Contains(s, "://") {
		return s
	}
	idx := urlUserinfo.FindAllStringSubmatchIndex(s, -1)
	var b strings.Builder
	last := 0
	for _, g := range idx {
		from, to := g[4], g[5]
		if from == to || s[from:to] == Mask || public(from, to) {
			continue
		}
		b.WriteString(s[last:from])
		b.WriteString(Mask)
		last = to
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// plainWord reports whether v is a value that is no secret to anyone
// (true, 0, ...).
func plainWord(v string) bool {
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "0", "1":
		return true
	}
	return false
}

// WithPublic returns a copy of m that never masks the given strings, nor
// text inside them: words kompose prints that are not values (the compose
// command, the stack's name and folder, the root).
func (m *Masker) WithPublic(words ...string) *Masker {
	if m == nil {
		return nil
	}
	c := *m
	c.public = append(append([]string(nil), m.public...), words...)
	return &c
}

// WithValues returns a copy of m that also masks the values given: the
// values of secret variables that appear while a stack runs (a hook passing
// DEPLOY_TOKEN on through $KOMPOSE_ENV). Empty and plain values (true, 0)
// are not added, as [NewMasker] leaves them out.
func (m *Masker) WithValues(vals ...string) *Masker {
	if m == nil {
		m = &Masker{}
	}
	c := *m
	c.values = append([]string(nil), m.values...)
	for _, v := range vals {
		if v == "" || plainWord(v) || slices.Contains(c.values, v) {
			continue
		}
		c.values = append(c.values, v)
		if q := strconv.Quote(v); q[1:len(q)-1] != v && !slices.Contains(c.values, q[1:len(q)-1]) {
			c.values = append(c.values, q[1:len(q)-1])
		}
	}
	sortLongestFirst(c.values)
	return &c
}

// Union returns a Masker of the secret values of all the maskers given
// (every stack's secrets, for the one output of a run), for
// [Masker.Using], and of their public words (every stack's compose
// command and folder: text that mixes the stacks' lines, like a ping's
// body, must not mask them either).
func Union(ms ...*Masker) *Masker {
	u := &Masker{}
	seen := map[string]bool{}
	pub := map[string]bool{}
	for _, o := range ms {
		if o == nil {
			continue
		}
		for _, v := range o.values {
			if !seen[v] {
				seen[v] = true
				u.values = append(u.values, v)
			}
		}
		for _, w := range o.public {
			if !pub[w] {
				pub[w] = true
				u.public = append(u.public, w)
			}
		}
	}
	sortLongestFirst(u.values)
	return u
}

// Using returns a copy of m that masks the secret values of u (a [Union]
// that includes m's own) instead of m's. Names and public words stay
// m's; the values are shared, not copied.
func (m *Masker) Using(u *Masker) *Masker {
	if m == nil || u == nil {
		return m
	}
	c := *m
	c.values = u.values
	return &c
}

func sortLongestFirst(values []string) {
	sort.Slice(values, func(i, j int) bool {
		if len(values[i]) != len(values[j]) {
			return len(values[i]) > len(values[j])
		}
		return values[i] < values[j]
	})
}

// IsSecret reports whether the variable name holds a secret: by the
// built-in rule ([IsSecret]) or because KOMPOSE_SECRETS names it.
func (m *Masker) IsSecret(name string) bool {
	if IsSecret(name) {
		return true
	}
	if m == nil {
		return false
	}
	if m.names[name] {
		return true
	}
	u := strings.ToUpper(name)
	for _, p := range m.patterns {
		if ok, _ := path.Match(p, u); ok {
			return true
		}
	}
	return false
}

// Arg returns one argument or value as it may be shown, before any
// quoting: [Mask] when it is a secret value, else with the secrets inside
// it masked.
func (m *Masker) Arg(s string) string {
	if s == "" {
		return s
	}
	if m != nil {
		if m.isPublic(s) {
			return s
		}
		for _, v := range m.values {
			if s == v {
				return Mask
			}
		}
	}
	return m.String(s)
}

func (m *Masker) isPublic(s string) bool {
	for _, p := range m.public {
		if p == s {
			return true
		}
	}
	return false
}

// publicSpans returns a test of whether s[from:to] lies inside one of the
// public words where they occur in s.
func publicSpans(s string, words []string) func(from, to int) bool {
	type span struct{ from, to int }
	var public []span
	for _, p := range words {
		if p == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(s[i:], p)
			if j < 0 {
				break
			}
			public = append(public, span{i + j, i + j + len(p)})
			i += j + 1
		}
	}
	return func(from, to int) bool {
		for _, p := range public {
			if p.from <= from && to <= p.to {
				return true
			}
		}
		return false
	}
}

// String returns the text s with the secret values in it replaced by
// [Mask], by the rule of [Masker], and the password of every URL in it
// (scheme://user:password@host), whether kompose knows it or not. A nil
// Masker masks only the URL passwords.
func (m *Masker) String(s string) string {
	if s == "" {
		return s
	}
	var words []string
	if m != nil {
		words = m.public
	}
	// A secret found inside a public word at that place is left alone;
	// one that merely overlaps a public word is still masked.
	s = maskURLPasswords(s, publicSpans(s, words))
	if m == nil || len(m.values) == 0 {
		return s
	}
	inPublic := publicSpans(s, words)
	type span struct{ from, to int }
	taken := make([]bool, len(s)) // already masked
	var masked []span
	for _, v := range m.values {
		if len(v) < minMaskLen {
			continue
		}
		anywhere := len(v) >= strongLen && mixed(v)
		for i := 0; i+len(v) <= len(s); {
			j := strings.Index(s[i:], v)
			if j < 0 {
				break
			}
			from, to := i+j, i+j+len(v)
			ok := (anywhere || (wordEdge(s, from, v[0], true) && wordEdge(s, to, v[len(v)-1], false))) && !inPublic(from, to)
			for k := from; ok && k < to; k++ {
				ok = !taken[k]
			}
			if !ok {
				i = from + 1
				continue
			}
			for k := from; k < to; k++ {
				taken[k] = true
			}
			masked = append(masked, span{from, to})
			i = to
		}
	}
	if len(masked) == 0 {
		return s
	}
	sort.Slice(masked, func(i, j int) bool { return masked[i].from < masked[j].from })
	var b strings.Builder
	last := 0
	for _, sp := range masked {
		b.WriteString(s[last:sp.from])
		b.WriteString(Mask)
		last = sp.to
	}
	b.WriteString(s[last:])
	return b.String()
}

// wordEdge reports whether a secret whose first (before) or last (!before)
// byte is c, found at offset i of s, does not continue a word there.
func wordEdge(s string, i int, c byte, before bool) bool {
	if !isWordByte(c) {
		return true
	}
	if before {
		return i == 0 || !isWordByte(s[i-1])
	}
	return i == len(s) || !isWordByte(s[i])
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// mixed reports whether v has at least two kinds of characters among
// lower-case letters, upper-case letters, digits and others.
func mixed(v string) bool {
	var kinds [4]bool
	for _, r := range v {
		switch {
		case unicode.IsLower(r):
			kinds[0] = true
		case unicode.IsUpper(r):
			kinds[1] = true
		case unicode.IsDigit(r):
			kinds[2] = true
		default:
			kinds[3] = true
		}
	}
	n := 0
	for _, k := range kinds {
		if k {
			n++
		}
	}
	return n >= 2
}

// Value returns the value of v as it may be shown, before any quoting:
// [Mask] when v is secret, else the value with secrets masked.
func (m *Masker) Value(v Var) string {
	if m.IsSecret(v.Name) {
		return Mask
	}
	return m.Arg(v.Value)
}

// StringAfterCut is [Masker.String] for the end of a longer text that was
// cut at its start (the tail of a run's output): a start of s that is
// the end of a secret value, what is left of a secret the cut split, is
// masked too.
func (m *Masker) StringAfterCut(s string) string {
	if m == nil {
		return m.String(s)
	}
	cut := 0
	for _, v := range m.values {
		if len(v) < minMaskLen {
			continue
		}
		for k := len(v) - 1; k > cut; k-- {
			if strings.HasPrefix(s, v[len(v)-k:]) {
				cut = k
				break
			}
		}
	}
	if cut == 0 {
		return m.String(s)
	}
	return Mask + m.String(s[cut:])
}

// weakNotes warns about each secret variable of e whose value masking
// cannot hide (docs/security.md): one shorter than 8 characters, or one
// that also occurs in a value that is not secret (an image name in
// KC_IMAGE, a path, another variable; the password part of a URL
// excepted, it is secret itself). Such a value is still masked, but
// where the **** stands tells readers what it hides. A note names the
// variable and where it was set, never the value. Only the variables of
// e's own layer are warned about: a stack's .env in a stack's
// environment, the others in the root's.
func (e *Env) weakNotes() []Note {
	// By name only: a value secret merely because a .env.age set it
	// (PORT=8080) is masked, but not warned about on every run.
	m := &Masker{patterns: secretPatterns(e)}
	var out []Note
	for _, k := range slices.Sorted(maps.Keys(e.vals)) {
		v := e.vals[k]
		if v == "" || plainWord(v) || !m.IsSecret(k) || (e.source[k] == SourceStackEnv) != e.stack {
			continue
		}
		why := ""
		if n := utf8.RuneCountInString(v); n < strongLen {
			why = fmt.Sprintf("it is shorter than %d characters", strongLen)
		} else {
			for k2, p := range e.vals {
				if k2 != k && !m.IsSecret(k2) && occursOutsideURLPassword(p, v) {
					why = "its value also occurs in a value that is not secret"
					break
				}
			}
		}
		if why == "" {
			continue
		}
		out = append(out, Note{Path: sourceName(e.source[k]), Key: k, Weak: true, Text: fmt.Sprintf(
			"%s is too weak to hide: %s, so the **** kompose prints in its place shows what it is; use a longer, random value", k, why)})
	}
	return out
}

// sourceName is where a variable of src was set, for people.
func sourceName(src Source) string {
	switch src {
	case SourceProcess:
		return "kompose's environment"
	case SourceOverride:
		return "-e"
	case "":
		return "kompose"
	}
	return string(src)
}

// WeakIn returns, sorted, the names of the secret variables of e whose
// values occur in texts (the images of a stack's services, its folder):
// too weak to hide there, as in [Env.weakNotes]; those e's notes already
// warn about are left out.
func WeakIn(e *Env, texts ...string) []string {
	noted := map[string]bool{}
	for _, n := range e.weakNotes() {
		noted[n.Key] = true
	}
	// By name only: a value secret merely because a .env.age set it
	// (PORT=8080) is masked, but not warned about on every run.
	m := &Masker{patterns: secretPatterns(e)}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(e.vals)) {
		v := e.vals[k]
		if v == "" || plainWord(v) || noted[k] || !m.IsSecret(k) {
			continue
		}
		for _, t := range texts {
			if strings.Contains(t, v) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// occursOutsideURLPassword reports whether v occurs in p other than as the
// password of a URL (postgres://app:${DB_PASSWORD}@db: secret itself).
func occursOutsideURLPassword(p, v string) bool {
	for i := 0; i+len(v) <= len(p); {
		j := strings.Index(p[i:], v)
		if j < 0 {
			return false
		}
		at := i + j
		inURL := at > 0 && p[at-1] == ':' && strings.Contains(p[:at], "://") && strings.HasPrefix(p[at+len(v):], "@")
		if !inURL {
			return true
		}
		i = at + 1
	}
	return false
}
