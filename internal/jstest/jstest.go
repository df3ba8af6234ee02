// Package jstest runs the project's JavaScript checks (test/js): ethers v6
// from the npm registry, pinned by package-lock.json, as a portal uses it.
// test/js also pins axe-core, which internal/browsertest injects into pages.
package jstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dir returns test/js of the repository: the first directory from the test's
// package directory upwards that holds go.mod is the repository's root.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		require.NotEqual(t, root, parent, "no go.mod above the test's directory")
		root = parent
	}
	dir := filepath.Join(root, "test", "js")
	require.FileExists(t, filepath.Join(dir, "package.json"))
	return dir
}

// Install installs the pinned packages unless they are there. Node and npm
// are required: without them the test fails, it does not skip. Test
// binaries of several packages run at once: an exclusive file lock makes one
// install while the others wait, and a marker written after a complete
// install tells them it is done (a half-written node_modules is not). The
// marker holds the SHA-256 of package-lock.json, so a changed lock (a package
// added or updated) installs again.
func Install(t testing.TB) string {
	t.Helper()
	dir := Dir(t)
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	defer lock.Close()
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()

	lockFile, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	require.NoError(t, err)
	sum := sha256.Sum256(lockFile)
	want := hex.EncodeToString(sum[:]) + "\n"
	marker := filepath.Join(dir, "node_modules", ".installed")
	if got, err := os.ReadFile(marker); err == nil && string(got) == want {
		return dir
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s: %s", dir, out)
	require.NoError(t, os.WriteFile(marker, []byte(want), 0o644))
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
