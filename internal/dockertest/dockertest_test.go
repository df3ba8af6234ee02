package dockertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// startFake starts a stand-in for dockerd (sleep, in its own session, as
// dockertest starts dockerd) and records it in s as dockertest does.
func startFake(t *testing.T, s state) int {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	cmd := exec.Command(sleep, "300") // argv[0] the path, as dockerd's
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL) })
	require.NoError(t, os.WriteFile(s.path("dockerd.pid"), []byte(fmt.Sprintf("%d %s\n", cmd.Process.Pid, cmd.Path)), 0o644))
	return cmd.Process.Pid
}

func testState(t *testing.T) state {
	return state{dir: t.TempDir(), logf: t.Logf}
}

// The engine dockertest started keeps running while any lease is held,
// in this process or another, and the last release stops it.
func TestLastLeaseStopsTheEngineDockertestStarted(t *testing.T) {
	s := testState(t)
	pid := startFake(t, s)
	require.Equal(t, pid, s.recorded())

	// Another test binary's lease: a shared lock from another process.
	other := exec.Command("flock", "--shared", "--close", s.path("users.lock"), "sleep", "300")
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, other.Start())
	t.Cleanup(func() { _ = syscall.Kill(-other.Process.Pid, syscall.SIGKILL); _ = other.Wait() })
	require.Eventually(t, func() bool {
		f, err := s.lock("users.lock", syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			f.Close()
		}
		return err != nil
	}, 10e9, 10e6, "the other process holds its lease")
	first, err := s.join()
	require.NoError(t, err)
	second, err := s.join()
	require.NoError(t, err)

	require.NoError(t, first.Release())
	require.True(t, alive(pid), "a lease is left")
	require.NoError(t, first.Release(), "a second release does nothing")
	require.NoError(t, second.Release())
	require.True(t, alive(pid), "the other process's lease is left")
	require.FileExists(t, s.path("dockerd.pid"))

	// The other process ends without releasing (killed): its lock goes
	// with it, and the next user's release stops the engine.
	require.NoError(t, syscall.Kill(-other.Process.Pid, syscall.SIGKILL))
	_ = other.Wait()
	last, err := s.join()
	require.NoError(t, err)
	require.NoError(t, last.Release())
	require.False(t, alive(pid), "the last release stops the engine")
	require.NoFileExists(t, s.path("dockerd.pid"))
}

// An engine dockertest did not start — no PID file, or a PID file whose
// process runs something else (a reused PID) — is never stopped.
func TestReleaseLeavesOtherEnginesAlone(t *testing.T) {
	t.Run("no PID file", func(t *testing.T) {
		s := testState(t)
		l, err := s.join()
		require.NoError(t, err)
		require.NoError(t, l.Release())
	})
	t.Run("reused PID", func(t *testing.T) {
		s := testState(t)
		pid := startFake(t, s)
		require.NoError(t, os.WriteFile(s.path("dockerd.pid"), []byte(fmt.Sprintf("%d /usr/sbin/dockerd\n", pid)), 0o644))
		require.Zero(t, s.recorded())
		l, err := s.join()
		require.NoError(t, err)
		require.NoError(t, l.Release())
		require.True(t, alive(pid))
		require.NoFileExists(t, s.path("dockerd.pid"), "the stale PID file is removed")
	})
	t.Run("exited", func(t *testing.T) {
		s := testState(t)
		pid := startFake(t, s)
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
		require.Eventually(t, func() bool { return !alive(pid) }, 10e9, 10e6)
		require.Zero(t, s.recorded())
	})
	t.Run("garbage", func(t *testing.T) {
		s := testState(t)
		for _, content := range []string{"", "x /usr/sbin/dockerd", "-1 /usr/sbin/dockerd", "12"} {
			require.NoError(t, os.WriteFile(s.path("dockerd.pid"), []byte(content), 0o644))
			require.Zero(t, s.recorded(), content)
		}
	})
}

func TestLookTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := lookTool("docker")
	require.ErrorContains(t, err, "docker is not installed")
	if isExecutable(filepath.Join(sbin, "dockerd")) {
		path, err := lookTool("dockerd")
		require.NoError(t, err, "dockerd is found in /usr/sbin without PATH")
		require.Equal(t, filepath.Join(sbin, "dockerd"), path)
	}
}
