package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// feedWait bounds every read of an event stream: the events a test waits
// for must all have arrived within it.
const feedWait = 2 * time.Minute

// feedHTTP is the client of the event streams (no overall timeout: a
// stream does not end; the reads have deadlines) and of the acts.
var (
	feedHTTP = &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		ResponseHeaderTimeout: time.Minute,
		DisableKeepAlives:     true,
	}}
	actHTTP = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
)

// feedEvent is one event of /v1/events as a client parses it; a comment
// (a heartbeat) has the name ":".
type feedEvent struct {
	id, name string
	data     []byte
}

// eventFeed is an open /v1/events stream, parsed as it comes.
type eventFeed struct {
	t      *testing.T
	events chan feedEvent // closed when the stream has ended
	cancel context.CancelFunc
	body   io.Closer
}

// openEventFeed opens /v1/events?query with a Last-Event-ID header unless
// lastEventID is empty; the stream is closed when the test ends.
func openEventFeed(t *testing.T, base, query, lastEventID string) *eventFeed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/events?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := feedHTTP.Do(req)
	if err != nil {
		cancel()
		require.NoError(t, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		cancel()
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET /v1/events?%s (Last-Event-ID %q): %s", query, lastEventID, body)
	}
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	f := &eventFeed{t: t, events: make(chan feedEvent, 64), cancel: cancel, body: resp.Body}
	go f.read(ctx, resp.Body)
	t.Cleanup(f.close)
	return f
}

// read parses the Server-Sent Events of body until it ends or the feed is
// closed.
func (f *eventFeed) read(ctx context.Context, body io.Reader) {
	defer close(f.events)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	emit := func(ev feedEvent) bool {
		select {
		case f.events <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var ev feedEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" || ev.id != "" {
				if !emit(ev) {
					return
				}
			}
			ev = feedEvent{}
		case strings.HasPrefix(line, ":"):
			if !emit(feedEvent{name: ":"}) {
				return
			}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[len("id: "):]
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data = []byte(line[len("data: "):])
		}
	}
}

func (f *eventFeed) close() {
	f.cancel()
	_ = f.body.Close()
}

// next returns the next event that is not a heartbeat, or false once the
// stream has ended; the test fails if none comes before the deadline.
func (f *eventFeed) next(deadline time.Time) (feedEvent, bool) {
	f.t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-f.events:
			if !ok {
				return feedEvent{}, false
			}
			if ev.name != ":" {
				return ev, true
			}
		case <-timer.C:
			require.FailNow(f.t, "no event before the deadline")
		}
	}
}

// collect reads events, each checked (its id its ledger position, its
// event name its act, and the ids strictly increasing), until done says
// enough; the stream must not end first, and all must come within feedWait.
func (f *eventFeed) collect(done func([]readmodel.Event) bool) []readmodel.Event {
	f.t.Helper()
	deadline := time.Now().Add(feedWait)
	var got []readmodel.Event
	for !done(got) {
		ev, ok := f.next(deadline)
		require.True(f.t, ok, "the stream ended after %d events", len(got))
		e := checkedEvent(f.t, ev)
		if len(got) > 0 {
			require.True(f.t, before(got[len(got)-1].Position(), e.Position()),
				"event ids strictly increase as (block, tx): %s, then %s", got[len(got)-1].ID, e.ID)
		}
		got = append(got, e)
	}
	return got
}

// upTo is a collect condition: the last event received is at or after p.
func upTo(p readmodel.Position) func([]readmodel.Event) bool {
	return func(got []readmodel.Event) bool {
		return len(got) > 0 && !before(got[len(got)-1].Position(), p)
	}
}

// requireQuiet requires that no event (heartbeats aside) comes for d.
func (f *eventFeed) requireQuiet(d time.Duration) {
	f.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-f.events:
			require.True(f.t, ok, "the stream ended")
			require.Equal(f.t, ":", ev.name, "no further event: %s %s %s", ev.id, ev.name, ev.data)
		case <-timer.C:
			return
		}
	}
}

// requireEnds requires the stream to end (the server is gone) within a
// minute; whatever it still delivers is discarded.
func (f *eventFeed) requireEnds() {
	f.t.Helper()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-f.events:
			if !ok {
				return
			}
		case <-timer.C:
			require.FailNow(f.t, "the stream did not end within a minute of the server's death")
		}
	}
}

// checkedEvent decodes an event and checks it against its SSE fields.
func checkedEvent(t *testing.T, ev feedEvent) readmodel.Event {
	t.Helper()
	require.NotEqual(t, "disconnect", ev.name, "the server ended the stream: %s", ev.data)
	var e readmodel.Event
	require.NoError(t, json.Unmarshal(ev.data, &e), "%s", ev.data)
	require.Equal(t, ev.id, e.ID, "the SSE id is the event's")
	require.Equal(t, ev.name, e.Act, "the SSE event name is the act")
	require.Equal(t, fmt.Sprintf("%d-%d", e.BlockNumber, e.TxIndex), e.ID, "the id is the ledger position")
	pos, err := readmodel.ParsePosition(e.ID)
	require.NoError(t, err)
	require.Equal(t, e.Position(), pos)
	return e
}

// before orders positions as (block, tx).
func before(a, b readmodel.Position) bool {
	return a.Block < b.Block || (a.Block == b.Block && a.Tx < b.Tx)
}

func eventIDs(events []readmodel.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

// seenTxs counts the events of the transactions txs.
func seenTxs(txs map[string]string, got []readmodel.Event) int {
	seen := 0
	for _, e := range got {
		if _, ok := txs[e.TxID]; ok {
			seen++
		}
	}
	return seen
}

// hasTxs is a collect condition: every transaction of txs has its event.
func hasTxs(txs map[string]string) func([]readmodel.Event) bool {
	return func(got []readmodel.Event) bool { return seenTxs(txs, got) == len(txs) }
}

// memberToken is the member token registry-api generated into DATA.
func memberToken(t *testing.T, data string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(data, "admin-token"))
	require.NoError(t, err)
	return strings.TrimSpace(string(raw))
}

// registerParties registers n new parties through the member API, one act
// each, and returns their transactions' ids with the party ids.
func registerParties(t *testing.T, base, token, prefix string, n int) map[string]string {
	t.Helper()
	txs := map[string]string{}
	for i := range n {
		reg := schema.PartyRegistration{ID: fmt.Sprintf("%s-%d", prefix, i), Kind: schema.KindAnbieter,
			Name: fmt.Sprintf("Event feed Anbieter %s-%d", prefix, i)}
		reg.Normalize()
		raw, err := json.Marshal(reg)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, base+"/v1/parties", bytes.NewReader(raw))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := actHTTP.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, resp.StatusCode, "register %s: %s", reg.ID, body)
		var stamp struct {
			TxID string `json:"txId"`
		}
		require.NoError(t, json.Unmarshal(body, &stamp))
		require.NotEmpty(t, stamp.TxID, "%s", body)
		txs[stamp.TxID] = reg.ID
	}
	return txs
}

// A consumer of the event feed reads part of it, the server is killed
// (SIGKILL) under the open stream, restarted, and acts are committed; the
// consumer reconnects with Last-Event-ID and receives exactly the events
// after its last one: together, its two connections received the feed as
// a fresh replay serves it, without a gap or a duplicate. The ids are the
// ledger positions: after further kills, right after a start and while the
// read model is rebuilt, and after a rebuild, the feed is the same.
func TestEventFeedResumesExactlyAcrossKill9(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		testEventFeedAcrossKill9(t, data, false, "--demo", "--data", data)
	})
	if fabrictest.Enabled() { // with -fabric DIR (make test-fabric)
		t.Run("fabric", func(t *testing.T) {
			fabrictest.Network(t) // every node runs
			data := filepath.Join(t.TempDir(), "data")
			testEventFeedAcrossKill9(t, data, true,
				"--backend", "fabric", "--fabric-network", fabrictest.NetworkConfig().Dir, "--data", data)
		})
	}
}

// testEventFeedAcrossKill9 runs registry-api with args on data. On a
// shared ledger (Fabric: other tests' acts are there, and a new network may
// hold fewer than 40) acts are committed before the first connection too,
// and nothing is required of the ledger being quiet.
func testEventFeedAcrossKill9(t *testing.T, data string, shared bool, args ...string) {
	const firstN = 40
	prefix := fmt.Sprintf("feed-%x", time.Now().UnixNano())

	p := startProcess(t, args...)
	base := p.serving()
	token := memberToken(t, data)
	var seeded map[string]string
	if shared {
		seeded = registerParties(t, base, token, prefix+"-before", 10)
	}

	// The first connection replays the feed from the start and reads its
	// first events (on a shared ledger at most up to half of the acts just
	// committed, which leaves the reconnect more than the new acts); the
	// server dies under it.
	first := openEventFeed(t, base, "after=0-0", "")
	got1 := first.collect(func(got []readmodel.Event) bool {
		return len(got) >= firstN || (len(seeded) > 0 && seenTxs(seeded, got) >= len(seeded)/2)
	})
	last1 := got1[len(got1)-1].ID
	p.kill()
	first.requireEnds()
	t.Logf("first connection: %d events up to %s, then SIGKILL", len(got1), last1)

	// Restarted on the same data, with new acts before the reconnect.
	p = startProcess(t, args...)
	base = p.serving()
	require.Equal(t, token, memberToken(t, data), "the member token survives the restart")
	fresh := registerParties(t, base, token, prefix+"-after", 3)

	second := openEventFeed(t, base, "", last1)
	got2 := second.collect(hasTxs(fresh))
	if !shared {
		second.requireQuiet(500 * time.Millisecond)
	}
	second.close()
	for _, e := range got2 {
		if id, ok := fresh[e.TxID]; ok {
			require.Equal(t, "PartyRegistered", e.Act, "%+v", e)
			require.Equal(t, string(schema.RecordParty), e.Record)
			require.Equal(t, id, e.RecordID)
			require.Equal(t, []string{id}, e.Parties)
		}
	}
	require.Greater(t, len(got2), len(fresh), "the events after the first connection's come before the new acts")
	require.True(t, before(got1[len(got1)-1].Position(), got2[0].Position()), "the reconnect starts after %s, at %s", last1, got2[0].ID)

	want := append(append([]readmodel.Event{}, got1...), got2...)
	lastPos := want[len(want)-1].Position()
	t.Logf("second connection: %d events, %s to %s", len(got2), got2[0].ID, got2[len(got2)-1].ID)

	// requireSameFeed checks a server's feed against the consumer's two
	// connections: a fresh replay, a resume after the first connection's
	// last event, and one from the middle with after=.
	requireSameFeed := func(base, when string) {
		t.Helper()
		replay := openEventFeed(t, base, "after=0-0", "")
		all := replay.collect(upTo(lastPos))
		replay.close()
		require.Equal(t, eventIDs(want), eventIDs(all), "%s: the two connections' ids are exactly a fresh replay's", when)
		require.Equal(t, want, all, "%s: the same events", when)

		resumed := openEventFeed(t, base, "", last1)
		require.Equal(t, eventIDs(got2), eventIDs(resumed.collect(upTo(lastPos))), "%s: Last-Event-ID %s", when, last1)
		resumed.close()

		mid := len(want) / 2
		after := openEventFeed(t, base, "after="+want[mid].ID, "")
		require.Equal(t, eventIDs(want[mid+1:]), eventIDs(after.collect(upTo(lastPos))), "%s: after=%s", when, want[mid].ID)
		after.close()

		if !shared {
			live := openEventFeed(t, base, "", "") // starts after the newest event
			live.requireQuiet(300 * time.Millisecond)
			live.close()
		}
	}
	requireSameFeed(base, "after the restart")

	// Killed right after a start, once the read model has caught up.
	p.kill()
	p = startProcess(t, args...)
	p.await("read model: caught up")
	p.kill()

	// Killed while the read model is rebuilt from the ledger.
	p = startProcess(t, append(args, "--rebuild-read-model")...)
	p.await("read model: removed, to be rebuilt from the ledger")
	p.kill()
	_, caughtUp := p.logged("read model: caught up")
	t.Logf("killed while rebuilding the read model (caught up before the kill: %v)", caughtUp)

	// A plain start resumes the read model the killed rebuild left.
	p = startProcess(t, args...)
	base = p.serving()
	requireSameFeed(base, "after kills during start and rebuild")
	p.stop()

	// And a rebuild, to completion, serves the same ids.
	p = startProcess(t, append(args, "--rebuild-read-model")...)
	base = p.serving()
	requireSameFeed(base, "after --rebuild-read-model")
	p.stop()
}
