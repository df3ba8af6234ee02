// Package jstest runs the project's JavaScript checks (test/js): ethers v6
// from the npm registry, pinned by package-lock.json, as a portal uses it.
package jstest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dir returns test/js, found from the test's package directory.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "test", "js"))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "package.json"))
	return dir
}

// Install installs the pinned packages unless they are there. Node and npm
// are required: without them the test fails, it does not skip. Test
// binaries of several packages run at once: an exclusive file lock makes one
// install while the others wait, and a marker written after a complete
// install tells them it is done (a half-written node_modules is not).
func Install(t testing.TB) string {
	t.Helper()
	dir := Dir(t)
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	defer lock.Close()
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()

	marker := filepath.Join(dir, "node_modules", ".installed")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s: %s", dir, out)
	require.NoError(t, os.WriteFile(marker, nil, 0o644))
	return dir
}

// Node runs a script of test/js with input on stdin and extra environment,
// and returns its standard output.
func Node(t testing.TB, script string, stdin []byte, env ...string) []byte {
	t.Helper()
	dir := Install(t)
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node %s: %s\n%s", script, stderr.String(), out)
	return out
}
