package network

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A node is seen running from the moment it was started (the kernel may
// still show an empty command line just after exec), and stopped after Stop.
func TestStartedProcessIsRunningAtOnce(t *testing.T) {
	n, err := New(Config{Dir: t.TempDir()})
	require.NoError(t, err)
	nd := Node{Name: "sleeper", Kind: "test"}
	for i := range 100 {
		require.NoError(t, n.start(nd, nil, "/bin/sleep", "30"))
		require.True(t, n.Running(nd), "iteration %d: not running right after start", i)
		require.NoError(t, n.Stop(nd, time.Second))
		require.False(t, n.Running(nd), "iteration %d: still running after Stop", i)
	}
}
