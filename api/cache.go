package api

import (
	"sync"
)

// readCache keeps query answers for as long as committed state is
// unchanged. It is used only when the backend tells a state version without
// a round trip (the embedded ledger: its height), so a cached answer is
// exactly what the ledger would answer now; it empties itself when the
// version moves on, or when it holds too much.
type readCache struct {
	mu      sync.Mutex
	version uint64
	bytes   int
	entries map[string][]byte
}

// readCacheBytes bounds the cache; answers above readCacheEntryBytes (long
// listing pages, rarely asked for twice) are not kept, so the cache holds
// many small hot records rather than a few walks through a listing.
const (
	readCacheBytes      = 8 << 20
	readCacheEntryBytes = 64 << 10
)

func (c *readCache) get(version uint64, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return nil, false
	}
	v, ok := c.entries[key]
	return v, ok
}

func (c *readCache) put(version uint64, key string, value []byte) {
	if len(value) > readCacheEntryBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.entries == nil || c.bytes+len(value) > readCacheBytes {
		c.version, c.bytes, c.entries = version, 0, map[string][]byte{}
	}
	c.entries[key] = value
	c.bytes += len(key) + len(value)
}
