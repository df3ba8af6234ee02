package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The commands the session test runs, built once.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds registry-api and registryctl into a directory, once.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "registryctl-test-"); buildErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", binDir, "./cmd/registry-api", "./cmd/registryctl")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binDir
}

// readmeSession is the shell session of the README's "A first session":
// its commands (with their backslash continuations), comments left out.
func readmeSession(t *testing.T) (block string, cmds []string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	text := string(raw)
	at := strings.Index(text, "A first session")
	require.GreaterOrEqual(t, at, 0, "the README has a first session")
	start := strings.Index(text[at:], "```sh\n")
	require.GreaterOrEqual(t, start, 0)
	block = text[at+start+len("```sh\n"):]
	block = block[:strings.Index(block, "```")]
	pending := ""
	for _, line := range strings.Split(block, "\n") {
		if pending == "" && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += line + "\n"
			continue
		}
		cmds = append(cmds, pending+line)
		pending = ""
	}
	require.Empty(t, pending, "a continuation ends the block")
	return block, cmds
}

// outcome is what a command of the session must do: its exit status and
// what its output contains.
type outcome struct {
	exit     int
	contains []string
}

func ok(contains ...string) outcome { return outcome{contains: contains} }

// The README's first session works with the real binaries against
// `registry-api --demo`, twice in a row on the same data (the server
// restarted in between): each command does what the README says, and the
// two that change the registry answer 409 the second time.
func TestREADMEFirstSessionTwice(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "the README's first session needs %s (apt-get install %s)", tool, tool)
	}
	bin := binaries(t)
	block, cmds := readmeSession(t)
	require.Equal(t, 2, strings.Count(block, "a second run answers 409"), "the README says which commands a second run refuses, and why:\n%s", block)

	// The expected outcome of each command, first and second run; the
	// match is a part of the command only it has.
	expected := []struct {
		match         string
		first, second outcome
	}{
		{"/v1/offerings |", ok(`"offering": "digitaler-bauantrag"`, `"status": "WITHDRAWN"`), ok(`"offering": "digitaler-bauantrag"`)},
		{"customer=stadt-koeln", ok(`"id": "koeln-bauantrag"`), ok(`"id": "koeln-bauantrag"`)},
		{"q=bauantrag", ok(`"offering": "digitaler-bauantrag"`), ok(`"offering": "digitaler-bauantrag"`)},
		{"agreements/koeln-bauantrag | jq", ok(`"status": "CONCLUDED"`, `"type": "PlaceOrder"`), ok(`"status": "CONCLUDED"`)},
		{"/v1/eip712", ok(`"name": "EfA Contract Registry"`), ok(`"name": "EfA Contract Registry"`)},
		{"TERMS=", ok(), ok()},
		{"stadt-schwerin.key", ok("POST /v1/agreements/schwerin-bauantrag/approvals → 200", `"approvedCustomer": true`),
			outcome{exit: 1, contains: []string{"→ 409", "stadt-schwerin already approved fee version 1", `"field": "message.party"`}}},
		{"hamburg.key", outcome{exit: 1, contains: []string{"→ 403", `"field": "signature"`, "not a key of party govdigital"}},
			outcome{exit: 1, contains: []string{"→ 403", `"field": "signature"`}}},
		{"/v1/parties", ok(`"id":"stadt-aachen-2"`, `"txId":`), ok(`"status":409`, `"code":"conflict"`, "stadt-aachen-2 is already registered")},
		{"proof roots", ok("root certificates of 3 organisations in roots"), ok("root certificates of 3 organisations in roots")},
		{"proof export", ok("koeln-bauantrag.proof.json:"), ok("koeln-bauantrag.proof.json:")},
		{"verify --roots", ok("koeln-bauantrag.proof.json: VERIFIED"), ok("koeln-bauantrag.proof.json: VERIFIED")},
		{"/terms | jq", ok(`"verified": true`), ok(`"verified": true`)},
		{"allocations/", ok(`"version": "1"`, `"chargeable": "4792501"`), ok(`"version": "1"`)},
		{"invoices?agreement=hamburg", ok(`"kind": "creditNote"`, `"kind": "proRataFee"`), ok(`"kind": "creditNote"`)},
		{"invoices export", ok("5 XRechnung files of govdigital for"), ok("5 XRechnung files of govdigital for")},
		{"invoices check", ok(": OK (EN 16931, XRechnung 3.0)"), ok(": OK (EN 16931, XRechnung 3.0)")},
		{"validate-xsd", ok(": VALID (UBL 2.1 CreditNote schema)", ": VALID (UBL 2.1 Invoice schema)"), ok(": VALID (UBL 2.1 Invoice schema)")},
		{"registryctl events", ok(`"recordId":"koeln-`, `"act":"`), ok(`"recordId":"koeln-`)},
	}
	require.Len(t, cmds, len(expected), "every command of the session has its expected outcome here:\n%s", strings.Join(cmds, "\n"))
	for i, c := range cmds {
		require.Contains(t, c, expected[i].match, "command %d", i+1)
	}

	dir := t.TempDir()
	require.NoError(t, os.Symlink(bin, filepath.Join(dir, "bin")))
	xr, err := filepath.Abs(filepath.Join("..", "..", "xrechnung"))
	require.NoError(t, err)
	require.NoError(t, os.Symlink(xr, filepath.Join(dir, "xrechnung")), "the session runs the repository's validate-xsd")
	for run := 1; run <= 2; run++ {
		server := startDemo(t, dir)
		outputs, exits := runSession(t, dir, server.url, cmds)
		for i, e := range expected {
			want := e.first
			if run == 2 {
				want = e.second
			}
			require.Equal(t, want.exit, exits[i], "run %d, command %d exits %d:\n%s\n%s", run, i+1, want.exit, cmds[i], outputs[i])
			for _, s := range want.contains {
				require.Contains(t, outputs[i], s, "run %d, command %d:\n%s", run, i+1, cmds[i])
			}
		}
		server.stop(t)
	}
}

// demoServer is `registry-api --demo` run by a test in a working directory.
type demoServer struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// startDemo runs bin/registry-api --demo in dir (its data in dir/data) on
// 127.0.0.1 and waits until it serves; the test's cleanup kills it by PID.
func startDemo(t *testing.T, dir string) *demoServer {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "bin", "registry-api"), "--demo", "--listen", "127.0.0.1:0")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &demoServer{cmd: cmd, done: make(chan error, 1)}
	serving := make(chan string, 1)
	var log strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			var entry struct{ Msg, Address string }
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg == "registry-api serving" {
				serving <- entry.Address
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	select {
	case s.url = <-serving:
	case err := <-s.done:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("registry-api exited (%v) before serving:\n%s", err, log.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("registry-api did not serve within two minutes")
	}
	return s
}

// stop ends the server with SIGTERM, by PID, and expects a clean exit.
func (s *demoServer) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(t, err, "a clean shutdown")
	case <-time.After(time.Minute):
		t.Fatal("registry-api did not stop within a minute")
	}
}

// runSession runs the commands in one bash, in dir, against the API at url
// (localhost:8080 in the commands, $REGISTRY_API for registryctl), and
// returns each command's output (stdout and stderr) and exit status.
func runSession(t *testing.T, dir, url string, cmds []string) ([]string, []int) {
	t.Helper()
	host := strings.TrimPrefix(url, "http://")
	var script strings.Builder
	script.WriteString("set -o pipefail\n")
	for i, c := range cmds {
		fmt.Fprintf(&script, "echo '@@begin %d'\n%s\nprintf '\\n@@end %d %%d\\n' $?\n", i, strings.ReplaceAll(c, "localhost:8080", host), i)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REGISTRY_API="+url)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	outputs, exits := make([]string, len(cmds)), make([]int, len(cmds))
	for i := range cmds {
		exits[i] = -1
	}
	marker := regexp.MustCompile(`(?m)^@@begin (\d+)\n((?s:.*?))^@@end \d+ (\d+)$`)
	for _, m := range marker.FindAllStringSubmatch(string(out), -1) {
		i, _ := strconv.Atoi(m[1])
		outputs[i] = m[2]
		exits[i], _ = strconv.Atoi(m[3])
	}
	for i := range cmds {
		require.NotEqual(t, -1, exits[i], "command %d ran:\n%s", i+1, out)
	}
	return outputs, exits
}
