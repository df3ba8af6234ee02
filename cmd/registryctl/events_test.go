package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// registerParty registers a party on the member's authority: one act,
// one event.
func registerParty(t *testing.T, url, id string) {
	t.Helper()
	body, err := json.Marshal(schema.PartyRegistration{ID: id, Kind: schema.KindAnbieter, Name: "Test " + id})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/v1/parties", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}

func eventLines(t *testing.T, out string) []readmodel.Event {
	t.Helper()
	var evs []readmodel.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e readmodel.Event
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		evs = append(evs, e)
	}
	return evs
}

// A consumer on the command line: everything once, then with a checkpoint
// only what is new, and --follow prints events as they commit.
func TestEventsCommand(t *testing.T) {
	dir, url := demoAPI(t)
	ctx := context.Background()
	checkpoint := filepath.Join(dir, "events.checkpoint")
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"events", "--api", url, "--checkpoint", checkpoint, "--idle", "300ms"}, &out))
	all := eventLines(t, out.String())
	require.Greater(t, len(all), 50, "the demo's acts")
	require.Equal(t, "PartyRegistered", all[0].Act)
	for i := 1; i < len(all); i++ {
		prev, cur := all[i-1], all[i]
		require.True(t, cur.BlockNumber > prev.BlockNumber || (cur.BlockNumber == prev.BlockNumber && cur.TxIndex > prev.TxIndex), "ledger order")
	}

	registerParty(t, url, "events-a")
	out.Reset()
	require.NoError(t, run(ctx, []string{"events", "--api", url, "--checkpoint", checkpoint, "--idle", "300ms"}, &out))
	fresh := eventLines(t, out.String())
	require.Len(t, fresh, 1, "only the event after the checkpoint")
	require.Equal(t, "events-a", fresh[0].RecordID)

	// --follow, filtered by party.
	fctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var followed bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(fctx, []string{"events", "--api", url, "--follow", "--after", fresh[0].ID, "--party", "events-b"}, writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return followed.Write(p)
		}))
	}()
	registerParty(t, url, "events-c")
	registerParty(t, url, "events-b")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(followed.String(), `"recordId":"events-b"`)
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	got := eventLines(t, followed.String())
	mu.Unlock()
	require.Len(t, got, 1, "the party filter")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
