package env

import (
	"sort"
	"strings"
)

// Mask is what a secret value is replaced with in anything kompose prints.
const Mask = "****"

// secretWords are the name fragments that mark a variable as secret.
var secretWords = [...]string{"PASSWORD", "PASSWD", "TOKEN", "SECRET"}

// IsSecret reports whether a variable with this name holds a secret: its
// name contains PASSWORD, PASSWD, TOKEN or SECRET, in any case.
func IsSecret(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// minMaskLen is the shortest secret value masked inside free text. Shorter
// values would turn ordinary words into asterisks; they are still never
// printed as variable values.
const minMaskLen = 4

// Masker hides secret values in text meant for people.
type Masker struct {
	r *strings.Replacer
}

// NewMasker returns a Masker for the secret variables of e.
func NewMasker(e *Env) *Masker {
	var secrets []string
	for k, v := range e.vals {
		if IsSecret(k) && len(v) >= minMaskLen {
			secrets = append(secrets, v)
		}
	}
	if len(secrets) == 0 {
		return &Masker{}
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, Mask)
	}
	return &Masker{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret value replaced by [Mask].
func (m *Masker) String(s string) string {
	if m == nil || m.r == nil {
		return s
	}
	return m.r.Replace(s)
}

// Value returns the value of v as it may be shown: masked when v is secret.
func (m *Masker) Value(v Var) string {
	if IsSecret(v.Name) {
		return Mask
	}
	return m.String(v.Value)
}
