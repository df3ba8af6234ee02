//go:build docker

package dockertest

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// Engine gives the test an engine that answers, and the Docker tools; a
// lease released while another is held leaves the engine running.
func TestEngine(t *testing.T) {
	Engine(t)
	require.NotEmpty(t, Docker(t, "info", "--format", "{{.ServerVersion}}"))
	out, err := exec.Command("docker-compose", "version", "--short").CombinedOutput()
	require.NoError(t, err, "%s", out)

	lease, err := Acquire(t.Logf)
	require.NoError(t, err)
	require.NoError(t, lease.Release())
	require.NoError(t, lease.Release(), "a second release does nothing")
	version, err := info()
	require.NoError(t, err, "Engine's lease keeps the engine")
	require.NotEmpty(t, version)
}
