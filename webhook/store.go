package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/efa-marktplatz/registry/readmodel"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// The states of a subscription.
const (
	Active = "active"
	Paused = "paused"
)

// ErrNotFound: no such subscription.
var ErrNotFound = errors.New("webhook: no such subscription")

// Filter selects the events a subscription receives (empty: all).
type Filter struct {
	Record string   `json:"record,omitempty"`
	ID     string   `json:"id,omitempty"`
	Party  string   `json:"party,omitempty"`
	Acts   []string `json:"acts,omitempty"`
}

func (f Filter) events() readmodel.EventFilter {
	return readmodel.EventFilter{Record: f.Record, ID: f.ID, Party: f.Party, Acts: f.Acts}
}

// Subscription is a registered receiver and its delivery state.
type Subscription struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Filter Filter `json:"filter"`
	Status string `json:"status"` // active or paused
	// Cursor is the id of the last event delivered ("" before the first
	// event of the chain).
	Cursor    string `json:"cursor"`
	Delivered int64  `json:"delivered"` // events acknowledged
	Failures  int    `json:"failures"`  // failed attempts in a row
	// NextAttempt is when the event after Cursor is tried again after a
	// failure (RFC 3339; "" when not waiting).
	NextAttempt string `json:"nextAttempt,omitempty"`
	LastError   string `json:"lastError,omitempty"`
	Created     string `json:"created"`
	secret      []byte
}

// store keeps subscriptions in SQLite.
type store struct{ db *sql.DB }

func openStore(ctx context.Context, path string) (*store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("webhook: open %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS subscriptions(
		id TEXT PRIMARY KEY, url TEXT NOT NULL, secret BLOB NOT NULL, filter TEXT NOT NULL,
		status TEXT NOT NULL, cursor TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0,
		failures INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '', created TEXT NOT NULL)`); err != nil {
		return nil, errors.Join(fmt.Errorf("webhook: create %s: %w", path, err), db.Close())
	}
	return &store{db: db}, nil
}

func (s *store) insert(ctx context.Context, sub *Subscription) error {
	f, err := json.Marshal(sub.Filter)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO subscriptions(id, url, secret, filter, status, cursor, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		sub.ID, sub.URL, sub.secret, string(f), sub.Status, sub.Cursor, sub.Created)
	if err != nil {
		return fmt.Errorf("webhook: store subscription: %w", err)
	}
	return nil
}

const columns = `id, url, secret, filter, status, cursor, delivered, failures, next_attempt, last_error, created`

func scan(row interface{ Scan(...any) error }) (*Subscription, error) {
	sub := &Subscription{}
	var f string
	var next int64
	if err := row.Scan(&sub.ID, &sub.URL, &sub.secret, &f, &sub.Status, &sub.Cursor, &sub.Delivered, &sub.Failures, &next, &sub.LastError, &sub.Created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(f), &sub.Filter); err != nil {
		return nil, fmt.Errorf("webhook: subscription %s: filter: %w", sub.ID, err)
	}
	if next > 0 {
		sub.NextAttempt = time.UnixMilli(next).UTC().Format(time.RFC3339Nano)
	}
	return sub, nil
}

func (s *store) get(ctx context.Context, id string) (*Subscription, error) {
	sub, err := scan(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM subscriptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: read %s: %w", id, err)
	}
	return sub, nil
}

func (s *store) list(ctx context.Context) ([]*Subscription, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM subscriptions ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	defer rows.Close()
	out := []*Subscription{}
	for rows.Next() {
		sub, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("webhook: list: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

func (s *store) exec(ctx context.Context, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("webhook: update: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// delivered records an acknowledged event.
func (s *store) delivered(ctx context.Context, id, cursor string) error {
	return s.exec(ctx, `UPDATE subscriptions SET cursor = ?, delivered = delivered + 1, failures = 0, next_attempt = 0, last_error = '' WHERE id = ?`, cursor, id)
}

// failed records a failed attempt, and pauses the subscription when it
// has failed too often in a row.
func (s *store) failed(ctx context.Context, id string, failures int, next time.Time, why string, pause bool) error {
	status := Active
	if pause {
		status = Paused
	}
	return s.exec(ctx, `UPDATE subscriptions SET failures = ?, next_attempt = ?, last_error = ?, status = ? WHERE id = ?`,
		failures, next.UnixMilli(), why, status, id)
}

func (s *store) resume(ctx context.Context, id string) error {
	return s.exec(ctx, `UPDATE subscriptions SET status = 'active', failures = 0, next_attempt = 0 WHERE id = ?`, id)
}

func (s *store) remove(ctx context.Context, id string) error {
	return s.exec(ctx, `DELETE FROM subscriptions WHERE id = ?`, id)
}
