package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of the given size on a new directory and
// unmounts it when the test ends. The tests run as root; a mount that fails
// fails the test, saying why.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	require.NoError(t, os.Mkdir(dir, 0o700))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "this test mounts a tmpfs to fill it, as root: mount: %s", out)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			return
		}
	}
}

// After a failed commit (the disk is full) the embedded ledger stops
// committing: /healthz answers 503 and registry-api exits non-zero, logging
// why, so that a supervisor restarts it; once space is freed, a restart
// serves again with every acknowledged write.
func TestFullDiskMakesRegistryAPIExitAndARestartServes(t *testing.T) {
	mnt := mountTmpfs(t, "16m")
	data := filepath.Join(mnt, "data")
	p := startProcess(t, "--data", data, "--acts-per-second", "100000")
	base := p.serving()
	raw, err := os.ReadFile(filepath.Join(data, "admin-token"))
	require.NoError(t, err)
	token := strings.TrimSpace(string(raw))

	register := func(base string, i int) int {
		reg := schema.PartyRegistration{ID: fmt.Sprintf("party-%04d", i), Kind: schema.KindAnbieter,
			Name: fmt.Sprintf("Anbieter %04d ", i) + strings.Repeat("x", 180)}
		reg.Normalize()
		status, body := call(t, http.MethodPost, base+"/v1/parties", token, reg)
		require.Contains(t, []int{http.StatusCreated, http.StatusServiceUnavailable}, status, "%s", body)
		return status
	}
	var acknowledged []int
	for i := range 5 {
		require.Equal(t, http.StatusCreated, register(base, i))
		acknowledged = append(acknowledged, i)
	}
	status, _ := getStatus(t, base+"/healthz")
	require.Equal(t, http.StatusOK, status)

	// Fill the file system; register parties until a commit fails.
	fill(t, filepath.Join(mnt, "filler"))
	failedAt := -1
	for i := 5; i < 5000 && failedAt < 0; i++ {
		if register(base, i) == http.StatusServiceUnavailable {
			failedAt = i
			break
		}
		acknowledged = append(acknowledged, i)
	}
	require.GreaterOrEqual(t, failedAt, 0, "a commit failed on the full file system")
	t.Logf("%d registrations acknowledged, the next failed", len(acknowledged))

	status, problem := getStatus(t, base+"/healthz")
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", problem)
	require.Equal(t, "unhealthy", problem["code"])

	code := p.wait()
	require.NotZero(t, code, "registry-api exits non-zero once its ledger failed:\n%s", p.log())
	entry, ok := p.logged("registry-api failed")
	require.True(t, ok, p.log())
	require.Contains(t, entry["err"], "the ledger failed")
	require.Contains(t, entry["err"], "no space left on device")
	_, ok = p.logged("the ledger has stopped committing; registry-api exits so that its supervisor restarts it")
	require.True(t, ok, p.log())

	// Space freed, a restart serves again, with every acknowledged write.
	require.NoError(t, os.Remove(filepath.Join(mnt, "filler")))
	again := startProcess(t, "--data", data, "--acts-per-second", "100000")
	base = again.serving()
	status, _ = getStatus(t, base+"/healthz")
	require.Equal(t, http.StatusOK, status)
	for _, i := range acknowledged {
		status, body := call(t, http.MethodGet, fmt.Sprintf("%s/v1/parties/party-%04d", base, i), "", nil)
		require.Equal(t, http.StatusOK, status, "an acknowledged registration survives: %s", body)
	}
	require.Equal(t, http.StatusCreated, register(base, failedAt), "the failed registration can be made again")
	again.stop()
}

// watchHealth reports a failed ledger, and takes a closed one (at
// shutdown) for no failure.
func TestWatchHealth(t *testing.T) {
	failed := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { watchHealth(ctx, func() error { return ledger.ErrClosed }, failed); close(done) }()
	time.Sleep(3 * healthPoll)
	cancel()
	<-done
	require.Empty(t, failed, "a closed ledger is no failure")

	cause := fmt.Errorf("%w: commit of block 9 failed: %w", ledger.ErrFailed, syscall.ENOSPC)
	go watchHealth(context.Background(), func() error { return cause }, failed)
	require.ErrorIs(t, <-failed, ledger.ErrFailed)
}
