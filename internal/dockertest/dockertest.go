// Package dockertest gives tests (and `make images`) a Docker engine that
// they start themselves where none runs.
//
//	dockertest.Engine(t)
//	out := dockertest.Docker(t, "run", "--rm", "efa-registry/peer:3.1.1", "peer", "version")
//
// Engine makes sure docker, dockerd and docker-compose are installed (the
// first caller installs Debian's docker.io and docker-compose with apt-get
// when one is missing; without them the test fails, it does not skip) and
// that an engine answers `docker info`. When none does, it starts one,
// `dockerd --storage-driver=vfs` (vfs works where overlayfs does not, in a
// container; it copies every layer), detached from the test, with its
// output in StateDir/dockerd.log and its PID in StateDir/dockerd.pid.
//
// Users of the engine hold a lease: a shared flock on StateDir/users.lock
// for as long as they use it. Test binaries, make targets (see
// ./withengine) and tests in one binary all lease the same way, so several
// of them can run at once: the first starts the engine under an exclusive
// lock on StateDir/state.lock while the others wait for that lock, and find
// it answering. Whoever releases the last lease stops the engine, by its
// recorded PID, if and only if dockertest started it: an engine that runs
// already (a system service, one an operator started) is used and never
// stopped. A test binary killed before it released its lease leaves the
// engine running; the next user finds the PID file and the last one stops
// it.
//
// Engine's lease ends with the test that took it (t.Cleanup). A package
// with many such tests keeps one lease for the whole test binary with
//
//	func TestMain(m *testing.M) { dockertest.Main(m) }
package dockertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// StateDir holds the engine's locks, PID file and log. It is fixed, not
// below $TMPDIR: every user of the machine's engine must agree on it.
const StateDir = "/tmp/dockertest"

// Tools are the commands Engine makes sure of, and Packages the Debian
// packages that provide them.
var (
	Tools    = []string{"docker", "dockerd", "docker-compose"}
	Packages = []string{"docker.io", "docker-compose"}
)

// DockerdArgs are the arguments of the engine that dockertest starts.
var DockerdArgs = []string{"--storage-driver=vfs"}

const (
	// startTimeout bounds the wait for a started engine to answer.
	startTimeout = 2 * time.Minute
	// stopGrace is how long a stopping engine may take (it stops its
	// containers first) before it is killed.
	stopGrace = time.Minute
	// infoTimeout bounds one `docker info`.
	infoTimeout = 20 * time.Second
)

// binary is the lease of a test binary that runs Main.
var binary struct {
	mu    sync.Mutex
	main  bool
	lease *Lease
	err   error
}

// Engine makes sure the Docker tools are installed and an engine answers,
// starting one if none does, for the rest of the test (or of the test
// binary, under Main). It fails the test when it cannot.
func Engine(t testing.TB) {
	t.Helper()
	binary.mu.Lock()
	if binary.main {
		if binary.lease == nil && binary.err == nil {
			// The lease outlives the test: it reports on stderr.
			binary.lease, binary.err = Acquire(stderrf)
		}
		err := binary.err
		binary.mu.Unlock()
		require.NoError(t, err, "a Docker engine")
		return
	}
	binary.mu.Unlock()
	lease, err := Acquire(t.Logf)
	require.NoError(t, err, "a Docker engine")
	t.Cleanup(func() {
		if err := lease.Release(); err != nil {
			t.Errorf("dockertest: %v", err)
		}
	})
}

// Main runs a test binary's tests with one lease on the engine from the
// first test that calls Engine to the end of the binary, and exits.
func Main(m *testing.M) {
	binary.mu.Lock()
	binary.main = true
	binary.mu.Unlock()
	code := m.Run()
	binary.mu.Lock()
	lease := binary.lease
	binary.mu.Unlock()
	if lease != nil {
		if err := lease.Release(); err != nil {
			fmt.Fprintln(os.Stderr, "dockertest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func stderrf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// Docker runs docker with args, fails the test when it fails, and returns
// its standard output, trimmed.
func Docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := Output(args...)
	require.NoError(t, err)
	return out
}

// Output runs docker with args and returns its standard output, trimmed;
// the error carries its standard error.
func Output(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("docker %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// A Lease is a use of the engine; Release ends it.
type Lease struct {
	state state
	users *os.File
	logf  func(format string, args ...any)
	once  sync.Once
	err   error
}

// Acquire makes sure the tools are installed and an engine answers,
// starting one if none does, and leases it. logf reports what it does.
func Acquire(logf func(format string, args ...any)) (*Lease, error) {
	if err := EnsureTools(logf); err != nil {
		return nil, err
	}
	s := state{dir: StateDir, logf: logf}
	lock, err := s.lock("state.lock", syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer lock.Close() // unlocks
	if _, err := info(); err != nil {
		if err := s.start(); err != nil {
			return nil, err
		}
	}
	return s.join()
}

// Release ends the lease; the last lease stops an engine that dockertest
// started. Later calls do nothing and return the first's error.
func (l *Lease) Release() error {
	l.once.Do(func() { l.err = l.release() })
	return l.err
}

func (l *Lease) release() error {
	l.users.Close() // drops this lease's shared lock
	lock, err := l.state.lock("state.lock", syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer lock.Close()
	users, err := l.state.lock("users.lock", syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil // others use the engine; the last of them stops it
	}
	if err != nil {
		return err
	}
	defer users.Close()
	pid := l.state.recorded()
	if pid == 0 {
		return removeIfExists(l.state.path("dockerd.pid"))
	}
	if err := l.state.stop(pid); err != nil {
		return err
	}
	l.state.logf("dockertest: stopped the Docker engine it had started (dockerd, PID %d)", pid)
	return nil
}

// state is the engine's bookkeeping in a directory.
type state struct {
	dir  string
	logf func(format string, args ...any)
}

func (s state) path(name string) string { return filepath.Join(s.dir, name) }

// lock opens (creating) a lock file and flocks it; closing the file unlocks.
func (s state) lock(name string, how int) (*os.File, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("dockertest: %w", err)
	}
	f, err := os.OpenFile(s.path(name), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("dockertest: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, err
		}
		return nil, fmt.Errorf("dockertest: lock %s: %w", s.path(name), err)
	}
	return f, nil
}

// join takes a lease: a shared lock on users.lock, held while the lease
// lasts. The caller holds state.lock.
func (s state) join() (*Lease, error) {
	users, err := s.lock("users.lock", syscall.LOCK_SH)
	if err != nil {
		return nil, err
	}
	return &Lease{state: s, users: users, logf: s.logf}, nil
}

// start starts dockerd detached (its own session, so that a ^C to the
// test does not reach it, and it outlives the test binary if others still
// use it), records its PID and waits until it answers. The caller holds
// state.lock.
func (s state) start() error {
	dockerd, err := lookTool("dockerd")
	if err != nil {
		return err
	}
	logPath := s.path("dockerd.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("dockertest: %w", err)
	}
	defer log.Close()
	fmt.Fprintf(log, "--- dockertest: %s %s, %s\n", dockerd, strings.Join(DockerdArgs, " "), time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(dockerd, DockerdArgs...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dockertest: start %s: %w", dockerd, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	reaped := make(chan struct{})
	children.Store(pid, reaped)
	// Reap it when it exits, whoever stops it, while this process lives.
	go func() {
		err := cmd.Wait()
		close(reaped)
		children.Delete(pid)
		exited <- err
	}()
	if err := os.WriteFile(s.path("dockerd.pid"), []byte(fmt.Sprintf("%d %s\n", pid, dockerd)), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("dockertest: %w", err)
	}
	s.logf("dockertest: no Docker engine answers: started %s %s (PID %d, log %s)", dockerd, strings.Join(DockerdArgs, " "), pid, logPath)
	deadline := time.Now().Add(startTimeout)
	for {
		version, err := info()
		if err == nil {
			s.logf("dockertest: the engine answers (server %s)", version)
			return nil
		}
		select {
		case werr := <-exited:
			_ = removeIfExists(s.path("dockerd.pid"))
			return fmt.Errorf("dockertest: dockerd exited (%v) before it answered: %w\n%s", werr, err, tail(logPath, 30))
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.stop(pid)
			return fmt.Errorf("dockertest: dockerd (PID %d) did not answer within %v: %w\n%s", pid, startTimeout, err, tail(logPath, 30))
		}
	}
}

// recorded returns the PID of the engine dockertest started if it still
// runs (the PID file names it and the process runs that executable), else 0.
func (s state) recorded() int {
	raw, err := os.ReadFile(s.path("dockerd.pid"))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(raw))
	if len(fields) != 2 {
		return 0
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 || !alive(pid) {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0
	}
	if exe, _, _ := bytes.Cut(cmdline, []byte{0}); string(exe) != fields[1] {
		return 0 // a reused PID
	}
	return pid
}

// stop stops the recorded engine: SIGTERM (it stops its containers and its
// containerd), then SIGKILL after stopGrace; then it forgets the PID.
func (s state) stop(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("dockertest: stop dockerd (PID %d): %w", pid, err)
	}
	if !waitExit(pid, stopGrace) {
		s.logf("dockertest: dockerd (PID %d) did not stop within %v: killing it", pid, stopGrace)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("dockertest: kill dockerd (PID %d): %w", pid, err)
		}
		if !waitExit(pid, 10*time.Second) {
			return fmt.Errorf("dockertest: dockerd (PID %d) survives SIGKILL", pid)
		}
	}
	if reaped, ok := children.Load(pid); ok {
		// This process started it: reap it before it may exit itself.
		select {
		case <-reaped.(chan struct{}):
		case <-time.After(5 * time.Second):
		}
	}
	return removeIfExists(s.path("dockerd.pid"))
}

// children are the engines this process started, until they are reaped:
// PID → a channel closed then.
var children sync.Map

// alive reports whether a process runs (a zombie has exited).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	return true
}

func waitExit(pid int, grace time.Duration) bool {
	deadline := time.Now().Add(grace)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// info asks the engine for its version: `docker info`.
func info() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), infoTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	version := strings.TrimSpace(string(out))
	if err != nil || version == "" {
		return "", fmt.Errorf("docker info: %v: %s", err, out)
	}
	return version, nil
}

func tail(path string, lines int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return fmt.Sprintf("--- last %d lines of %s\n%s", len(all), path, strings.Join(all, "\n"))
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dockertest: %w", err)
	}
	return nil
}
