//go:build e2e

package swarm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// postgresImage is the PostgreSQL image of the host-mode database.
const postgresImage = "kompose-test/postgres:15"

// TestSwarmDatabaseHostMode: db:export and db:import of a Swarm stack run
// in host mode, pg_dump and psql on this machine against DB_HOST:DB_PORT
// (here a real PostgreSQL published on 127.0.0.1), although the stack's
// compose file has a PostgreSQL service kompose would exec into for a
// compose stack; DB_SERVICE is refused with what to do. The password is
// in no output.
func TestSwarmDatabaseHostMode(t *testing.T) {
	c := needSwarm(t)
	if err := exec.Command("docker", "image", "inspect", postgresImage).Run(); err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is not on the machine's engine", postgresImage)
		}
		t.Skip(postgresImage + " is not on the machine's engine (scripts/build-images.sh builds it)")
	}
	for _, p := range []string{"pg_dump", "psql"} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
				t.Fatalf("%s is not installed", p)
			}
			t.Skip(p + " is not installed (host mode needs the PostgreSQL client)")
		}
	}
	r := newRoot(t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	name := "i24-pg-" + hex.EncodeToString(b[:])
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", args...)
		// the password reaches docker run by name only, never in argv
		cmd.Env = append(os.Environ(), "POSTGRES_PASSWORD="+r.secret)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// a network of its own (the machine's default bridge may be in use
	// or gone), on a subnet of its own
	t.Cleanup(func() {
		_ = exec.Command("docker", "rm", "-f", "-v", name).Run()
		_ = exec.Command("docker", "network", "rm", name).Run()
	})
	run("network", "create", "--subnet", fmt.Sprintf("10.224.%d.0/24", b[0]), name)
	run("run", "-d", "--name", name, "--network", name, "-e", "POSTGRES_USER=kompose", "-e", "POSTGRES_PASSWORD", "-e", "POSTGRES_DB=shop",
		"-p", "127.0.0.1::5432", postgresImage)
	psql := func(sql string) (string, error) {
		out, err := exec.Command("docker", "exec", "-i", name, "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-U", "kompose", "-d", "shop", "-c", sql).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if out, err := psql("CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 500) ON CONFLICT DO NOTHING; SELECT count(*) FROM items"); err == nil && out == "500" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL did not come up: %v %s", err, out)
		}
		time.Sleep(time.Second)
	}
	port := run("port", name, "5432/tcp")
	host, portNum, _ := strings.Cut(port, ":")
	r.write("shop/compose.yaml", "x-kompose: {deploy: swarm}\nservices:\n  db:\n    image: "+postgresImage+"\n")
	r.write("shop/.env", "DOCKER_HOST="+c.Manager().Host+"\nDB_NAME=shop\nDB_USER=kompose\nDB_PASSWORD="+r.secret+"\nDB_HOST="+host+"\nDB_PORT="+portNum+"\n")

	res := r.kompose("-n", "shop", "db:export")
	r.must(res, 0, "dry run of db:export")
	if !strings.Contains(res.stdout, "--> db:export pg_dump -h "+host+" -p "+portNum) || !strings.Contains(res.stdout, "runs on: host") {
		t.Errorf("the dry run does not plan host mode:\n%s", res.stdout)
	}
	res = r.kompose("shop", "db:export")
	r.must(res, 0, "db:export")
	dumps, _ := filepath.Glob(filepath.Join(r.dir, "shop", "shop_*.sql"))
	if len(dumps) != 1 {
		t.Fatalf("dumps: %v", dumps)
	}
	if b, _ := os.ReadFile(dumps[0]); !strings.Contains(string(b), "CREATE TABLE public.items") {
		t.Errorf("the dump holds no items table")
	}
	if _, err := psql("DELETE FROM items WHERE id > 100"); err != nil {
		t.Fatal(err)
	}
	res = r.kompose("shop", "db:import", dumps[0])
	r.must(res, 0, "db:import")
	if out, err := psql("SELECT count(*) FROM items"); err != nil || out != "500" {
		t.Errorf("after db:import: %s %v, want the 500 rows back", out, err)
	}

	res = r.kompose("-e", "DB_SERVICE=db", "shop", "db:export")
	r.must(res, 1, "db:export with DB_SERVICE")
	if !strings.Contains(res.all(), "a stack deployed on Docker Swarm has no compose containers to exec into: set DB_HOST") {
		t.Errorf("DB_SERVICE on a Swarm stack:\n%s", res.all())
	}
}

// TestSwarmDatabaseContainerMode: the database task's container reached
// through its node's engine: DB_CONTAINER names the task's container,
// DOCKER_HOST the node's engine (here the manager, the only node), for the
// run; db:export dumps it, with the password in no output.
func TestSwarmDatabaseContainerMode(t *testing.T) {
	c := needSwarm(t)
	if err := exec.Command("docker", "image", "inspect", postgresImage).Run(); err != nil {
		t.Skip(postgresImage + " is not on the machine's engine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Load(ctx, postgresImage); err != nil {
		t.Fatal(err)
	}
	r := newRoot(t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	project := "i24db" + hex.EncodeToString(b[:])
	r.write("shop/compose.yaml", "name: "+project+"\nx-kompose: {deploy: swarm}\nservices:\n  db:\n    image: "+postgresImage+
		"\n    environment:\n      POSTGRES_USER: ${DB_USER}\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n      POSTGRES_DB: ${DB_NAME}\n")
	r.write("shop/.env", "DOCKER_HOST="+c.Manager().Host+"\nDB_NAME=shop\nDB_USER=kompose\nDB_PASSWORD="+r.secret+"\nDB_HOST=unused.invalid\n")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = c.Manager().Docker(ctx, "stack", "rm", project)
	})
	r.must(r.kompose("shop", "up"), 0, "up")
	node := c.Manager() // the node that runs the task: the only one
	var container string
	deadline := time.Now().Add(90 * time.Second)
	for {
		out, _ := node.Docker(ctx, "ps", "--filter", "label=com.docker.swarm.service.name="+project+"_db", "--format", "{{.Names}}")
		container = strings.TrimSpace(out)
		if container != "" {
			if _, err := node.Docker(ctx, "exec", container, "psql", "-U", "kompose", "-d", "shop", "-c", "CREATE TABLE IF NOT EXISTS t (id int)"); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database task did not come up (container %q)", container)
		}
		time.Sleep(time.Second)
	}
	res := r.kompose("-e", "DB_CONTAINER="+container, "-e", node.Env(), "shop", "db:export")
	r.must(res, 0, "db:export in the task's container through its node's engine")
	if !strings.Contains(res.all(), "in container "+container) && !strings.Contains(res.all(), container) {
		t.Logf("db:export output:\n%s", res.all())
	}
	dumps, _ := filepath.Glob(filepath.Join(r.dir, "shop", "shop_*.sql"))
	if len(dumps) != 1 {
		t.Fatalf("dumps: %v", dumps)
	}
	if b, _ := os.ReadFile(dumps[0]); !strings.Contains(string(b), "CREATE TABLE public.t") {
		t.Errorf("the dump holds no table t")
	}
	r.must(r.kompose("shop", "down"), 0, "down")
}
