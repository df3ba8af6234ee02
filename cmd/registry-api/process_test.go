package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The registry-api binary the process tests run, built once.
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

// binary builds registry-api from this package, once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "registry-api-test-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, "registry-api")
}

// process is a registry-api process a test started on 127.0.0.1, with its
// log (stderr, JSON lines) collected as it comes.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line
}

// startProcess runs registry-api with args (and --listen 127.0.0.1:0); the
// test's cleanup kills it by its PID if it still runs.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary(t), append(args, "--listen", "127.0.0.1:0")...)
	for _, kv := range os.Environ() { // the test's flags only
		if !strings.HasPrefix(kv, "REGISTRY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	p := &process{t: t, cmd: cmd, done: make(chan struct{}), changed: make(chan struct{})}
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// log is everything the process has written to stderr so far.
func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// logged returns the first log line whose msg is msg, if any.
func (p *process) logged(msg string) (map[string]any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		var entry map[string]any
		if json.Unmarshal([]byte(l), &entry) == nil && entry["msg"] == msg {
			return entry, true
		}
	}
	return nil, false
}

// await waits for a log line with msg; the process must not exit first.
func (p *process) await(msg string) map[string]any {
	p.t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		p.mu.Lock()
		changed := p.changed
		p.mu.Unlock()
		if entry, ok := p.logged(msg); ok {
			return entry
		}
		select {
		case <-changed:
		case <-p.done:
			if entry, ok := p.logged(msg); ok {
				return entry
			}
			p.t.Fatalf("registry-api exited (%v) before logging %q:\n%s", p.err, msg, p.log())
		case <-deadline:
			p.t.Fatalf("registry-api did not log %q within two minutes:\n%s", msg, p.log())
		}
	}
}

// serving waits until the process serves and returns its base URL.
func (p *process) serving() string {
	p.t.Helper()
	entry := p.await("registry-api serving")
	url, ok := entry["address"].(string)
	require.True(p.t, ok, "%v", entry)
	return url
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.t.Fatalf("registry-api did not exit within two minutes:\n%s", p.log())
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(p.t, p.err)
	return 0
}

// kill sends SIGKILL to the process, by its PID, and waits for it.
func (p *process) kill() {
	p.t.Helper()
	require.NoError(p.t, syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL))
	p.wait()
}

// stop sends SIGTERM, by PID, and expects a clean exit.
func (p *process) stop() {
	p.t.Helper()
	require.NoError(p.t, syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM))
	require.Zero(p.t, p.wait(), "a clean shutdown:\n%s", p.log())
}

// call sends a request and returns the status and body.
func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var payload io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		payload = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, payload)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}
