//go:build !(linux && (amd64 || arm64))

package ledger

import bolt "go.etcd.io/bbolt"

// mappedSize 0 lets bbolt size its map to the file.
const mappedSize = 0

// releaseMapped is a no-op where the map's extent is not fixed.
func releaseMapped(*bolt.DB, int64) error { return nil }
