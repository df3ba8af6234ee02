package embedded_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// A ledger remembers the storage format it was created with; one written
// in another format (an older build's: acts inside their records) is
// refused at open with what to do, never misread.
func TestStorageFormatIsCheckedAtOpen(t *testing.T) {
	dir := t.TempDir()
	l, err := embedded.Open(dir, ledger.Options{NoSync: true})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	raw, err := os.ReadFile(filepath.Join(dir, embedded.FormatFile))
	require.NoError(t, err)
	require.Equal(t, schema.StorageFormat+"\n", string(raw))

	l, err = embedded.Open(dir, ledger.Options{NoSync: true})
	require.NoError(t, err, "the same format opens")
	require.NoError(t, l.Close())

	for name, prepare := range map[string]func(){
		"an older build's ledger (no format file)": func() { require.NoError(t, os.Remove(filepath.Join(dir, embedded.FormatFile))) },
		"another format": func() {
			require.NoError(t, os.WriteFile(filepath.Join(dir, embedded.FormatFile), []byte("efa-registry-storage/1\n"), 0o644))
		},
	} {
		t.Run(name, func(t *testing.T) {
			prepare()
			_, err := embedded.Open(dir, ledger.Options{NoSync: true})
			require.ErrorIs(t, err, embedded.ErrStorageFormat)
			require.ErrorContains(t, err, "does not migrate")
			require.ErrorContains(t, err, "fresh data directory")
		})
	}
}
