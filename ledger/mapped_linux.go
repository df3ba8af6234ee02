//go:build linux && (amd64 || arm64)

package ledger

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// mappedSize is the initial size of the store's read-only memory map: 64 GiB
// of address space (not memory), so the map stays put while the file grows
// within it. bbolt only remaps to grow beyond it, never below it, and always
// maps at least the pages in use.
const mappedSize = 64 << 30

// releaseMapped drops the page-table references this process holds to pages
// of the store's memory-mapped file (madvise MADV_DONTNEED). bbolt writes
// copy-on-write to ever new places in the file and reads them through the
// map, so without this the pages touched once stay counted in the process's
// resident memory and it grows with the ledger. The pages stay in the
// kernel's page cache; the next read of one is a minor fault.
//
// It must run where bbolt cannot remap concurrently: inside a read
// transaction (a remap waits for every read transaction to end) or in the
// committer between commits (only the committer writes).
//
// size is the store's size in use (bolt.Tx.Size), which the map covers.
func releaseMapped(db *bolt.DB, size int64) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, db.Info().Data, uintptr(max(mappedSize, size)), unix.MADV_DONTNEED)
	if errno != 0 {
		return fmt.Errorf("ledger: release mapped store pages: %w", errno)
	}
	return nil
}
