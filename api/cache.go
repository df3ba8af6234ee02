package api

import (
	"strings"
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

const readCacheBytes = 32 << 20

func cacheKey(function string, args []string) string {
	return function + "\x00" + strings.Join(args, "\x00")
}

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
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.entries == nil || c.bytes+len(value) > readCacheBytes {
		c.version, c.bytes, c.entries = version, 0, map[string][]byte{}
	}
	c.entries[key] = value
	c.bytes += len(key) + len(value)
}
