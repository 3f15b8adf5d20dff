package env

import (
	"strings"
	"testing"
)

// TestLoadDataEncrypted: every variable of an encrypted .env is a secret,
// whatever its name, in the Env and its clones; its errors name the file
// and line, never the value; a plain file's names keep the name rule.
func TestLoadDataEncrypted(t *testing.T) {
	e := FromEnviron([]string{"HOME=/root"})
	if err := e.LoadData("/r/.env.age", []byte("GREETING=hello-there-77\nPORT=8080\n"), SourceRootEnv, true); err != nil {
		t.Fatal(err)
	}
	c := e.Clone()
	if err := c.LoadData("/r/s/.env", []byte("TITLE=my-blog-title\n"), SourceStackEnv, false); err != nil {
		t.Fatal(err)
	}
	m := NewMasker(c)
	for name, secret := range map[string]bool{"GREETING": true, "PORT": true, "TITLE": false, "HOME": false} {
		if m.IsSecret(name) != secret {
			t.Errorf("IsSecret(%s) = %v", name, !secret)
		}
	}
	if got := m.String("say hello-there-77 on 8080 to my-blog-title"); got != "say **** on **** to my-blog-title" {
		t.Errorf("masked: %q", got)
	}
	if NewMasker(FromEnviron(nil)).IsSecret("GREETING") {
		t.Error("secret names leaked into another Env")
	}
	err := FromEnviron(nil).LoadData("/r/.env.age", []byte("A=1\nB=\"unterminated hello-there-77\n"), SourceRootEnv, true)
	if err == nil || !strings.Contains(err.Error(), "/r/.env.age: line 2") || strings.Contains(err.Error(), "hello") {
		t.Errorf("parse error: %v", err)
	}
}

// TestLoadDataEncryptedNotWeak: a short value of a .env.age variable
// whose name is not secret is masked but not warned about; a secret
// name's is.
func TestLoadDataEncryptedNotWeak(t *testing.T) {
	e := FromEnviron(nil)
	if err := e.LoadData("/r/.env.age", []byte("PORT=8080\nAPI_TOKEN=abc123\n"), SourceRootEnv, true); err != nil {
		t.Fatal(err)
	}
	var weak []string
	for _, n := range e.Notes() {
		if n.Weak {
			weak = append(weak, n.Key)
		}
	}
	if len(weak) != 1 || weak[0] != "API_TOKEN" {
		t.Errorf("weak notes for %v, want API_TOKEN only", weak)
	}
	if got := NewMasker(e).Arg("8080"); got != Mask {
		t.Errorf("8080 shown as %q", got)
	}
}
