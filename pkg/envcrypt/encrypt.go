package envcrypt

import (
	"context"
	"flag"
	"fmt"
	"os"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/plan"
)

const encryptHelp = "-r/--recipient AGE_PUBLIC_KEY (repeatable), --recipients-file FILE (repeatable; default: " +
	encrypt.VarRecipients + " of kompose's environment), --remove-plain, --root-env"

// Encryption is env:encrypt for one .env: it writes .env.age beside it,
// never over an existing one, and removes the .env only when asked and
// once the new file decrypts to the same content.
type Encryption struct {
	Plain, Enc  string
	Recipients  []age.Recipient
	Who         string // the recipients, for people
	RemovePlain bool
	Keys        *fleet.Keys
}

func (c *commands) encrypt(s *plan.Stack, command string, args []string) (plan.Step, error) {
	var o options
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	o.flags(fs)
	removePlain := fs.Bool("remove-plain", false, "")
	if _, err := plan.ParseArgs(command, fs, args, 0, encryptHelp); err != nil {
		return plan.Step{}, err
	}
	keys := fleet.NewKeys(s.Env, s.Policy)
	if *removePlain && !keys.Set() {
		return plan.Step{}, plan.Usagef("%s --remove-plain: set %s in kompose's environment, so that the new file is checked to decrypt before the plain one goes", command, encrypt.VarIdentity)
	}
	dir, _, err := c.target(s, &o)
	if err != nil {
		return plan.Step{}, err
	}
	plain, enc := names(dir)
	if !exists(plain) {
		return plan.Step{}, fmt.Errorf("%s: there is no %s to encrypt", command, plain)
	}
	if exists(enc) {
		return plan.Step{}, fmt.Errorf("%s: %s exists: not overwriting it (change it with env:edit)", command, enc)
	}
	rs, who, err := recipients(s, &o, command)
	if err != nil {
		return plan.Step{}, err
	}
	x := &Encryption{Plain: plain, Enc: enc, Recipients: rs, Who: who, RemovePlain: *removePlain, Keys: keys}
	return plan.Step{Label: command, Args: []string{enc}, Action: x}, nil
}

// HookArgs: hook_pre_env_encrypt and hook_post_env_encrypt receive the
// new file's path.
func (x *Encryption) HookArgs() []string { return []string{x.Enc} }

// Describe says what env:encrypt does, for the dry run.
func (x *Encryption) Describe() []string {
	lines := []string{
		"reads:   " + x.Plain,
		"writes:  " + x.Enc + ", encrypted with age to the " + x.Who + ", never over an existing file",
	}
	switch {
	case x.RemovePlain:
		lines = append(lines, "removes: "+x.Plain+", once the new file decrypts to the same content with "+encrypt.VarIdentity)
	default:
		lines = append(lines, "keeps:   "+x.Plain+" (while both exist, the stack's commands refuse to run: remove it, or use --remove-plain)")
	}
	return lines
}

// Run encrypts the .env in memory and writes the .env.age.
func (x *Encryption) Run(ctx context.Context, ex *plan.ActionEnv) error {
	data, perm, err := readChecked(ex.Stack.Policy, x.Plain)
	if err != nil {
		return err
	}
	defer clear(data)
	sealed, err := seal(data, x.Recipients)
	if err != nil {
		return fmt.Errorf("encrypt %s: %w", x.Plain, err)
	}
	if x.Keys.Set() {
		if err := verify(x.Keys, x.Enc, sealed, data); err != nil {
			return err
		}
	}
	if err := createNew(x.Enc, sealed, filePerm(perm)); err != nil {
		return err
	}
	fmt.Fprintf(ex.Cmd.Stdout, "wrote %s (age, %s)\n", x.Enc, x.Who)
	if !x.RemovePlain {
		fmt.Fprintf(ex.Cmd.Stdout, "kept %s: remove it (and from git's history, if it was ever committed) before the next command on it\n", x.Plain)
		return nil
	}
	back, err := fleet.ReadSmall(x.Enc, nil) // what is on disk now
	if err != nil {
		return err
	}
	if err := verify(x.Keys, x.Enc, back, data); err != nil {
		return fmt.Errorf("%w; %s kept", err, x.Plain)
	}
	if err := os.Remove(x.Plain); err != nil {
		return fmt.Errorf("remove %s: %w", x.Plain, err)
	}
	fmt.Fprintf(ex.Cmd.Stdout, "removed %s\n", x.Plain)
	return nil
}
