package apt

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOutput(t *testing.T) {
	tests := []struct {
		out           string
		lacks, locked bool
	}{
		{"E: Unable to locate package chromium", true, false},
		{"E: Unable to locate package docker-compose", true, false},
		{"E: Package 'chromium' has no installation candidate", true, false},
		{"E: Package 'docker.io' has no installation candidate", true, false},
		{"Package chromium is not available, but is referred to by another package.", true, false},
		{"E: Could not get lock /var/lib/apt/lists/lock. It is held by process 42 (apt-get)", false, true},
		{"E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?", false, true},
		{"E: Failed to fetch http://deb.debian.org/...  Temporary failure resolving", false, false},
		{"E: Sub-process /usr/bin/dpkg returned an error code (1)", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.out[:20], func(t *testing.T) {
			require.Equal(t, tt.lacks, LacksPackage([]byte(tt.out)))
			require.Equal(t, tt.locked, Locked([]byte(tt.out)))
		})
	}
}
