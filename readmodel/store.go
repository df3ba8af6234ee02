package readmodel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// format is the version of the database layout; a database of another
// format is rebuilt.
const format = 3

// ErrMismatch means a projected record differs from the hash its event
// carries: the projection stops rather than serve it.
var ErrMismatch = errors.New("readmodel: projected record does not match its event's hash")

// ErrClosed is returned by WaitFor when the store closes first.
var ErrClosed = errors.New("readmodel: closed")

// Store is the read model in one SQLite file.
type Store struct {
	db   *sql.DB
	w    *writer // the projection's connection
	path string

	mu     sync.Mutex
	next   uint64        // the next block to project
	head   int64         // the last event's sequence number
	grown  chan struct{} // closed and replaced when a block is projected
	failed error         // why projection stopped, if it did
	closed chan struct{}
	lag    func(time.Duration) // observes each block's lag behind commit
}

// ObserveLag sets a function that receives, for each projected block, the
// time from its commit (client.BlockChanges.Committed) to its projection.
// It may be set at any time.
func (s *Store) ObserveLag(f func(time.Duration)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = f
}

// Tables whose rows hold records (state, records) are rowid tables: SQLite
// keeps large rows in WITHOUT ROWID tables inefficiently (a page of 50
// agreements took twice as long to read).
const ddl = `
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records(
	kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL,
	block INTEGER NOT NULL, tx INTEGER NOT NULL,
	PRIMARY KEY(kind, id));
CREATE TABLE IF NOT EXISTS checked(
	kind TEXT NOT NULL, id TEXT NOT NULL, stored_hash TEXT NOT NULL,
	PRIMARY KEY(kind, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offerings(
	id TEXT PRIMARY KEY, supplier TEXT NOT NULL, anbieter TEXT NOT NULL, status TEXT NOT NULL,
	themenfeld TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS offerings_supplier ON offerings(supplier, id);
CREATE INDEX IF NOT EXISTS offerings_anbieter ON offerings(anbieter, id);
CREATE INDEX IF NOT EXISTS offerings_status ON offerings(status, id);
CREATE INDEX IF NOT EXISTS offerings_themenfeld ON offerings(themenfeld, id);
CREATE INDEX IF NOT EXISTS offerings_kind ON offerings(kind, id);
CREATE TABLE IF NOT EXISTS offering_leika(leika TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY(leika, id)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS offerings_fts USING fts5(
	id UNINDEXED, title, description, ozg, leika, supplier,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TABLE IF NOT EXISTS agreements(
	id TEXT PRIMARY KEY, customer TEXT NOT NULL, supplier TEXT NOT NULL, anbieter TEXT NOT NULL,
	offering TEXT NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agreements_customer ON agreements(customer, id);
CREATE INDEX IF NOT EXISTS agreements_supplier ON agreements(supplier, id);
CREATE INDEX IF NOT EXISTS agreements_anbieter ON agreements(anbieter, id);
CREATE INDEX IF NOT EXISTS agreements_offering ON agreements(offering, id);
CREATE INDEX IF NOT EXISTS agreements_status ON agreements(status, id);
CREATE INDEX IF NOT EXISTS agreements_created ON agreements(created, id);
CREATE INDEX IF NOT EXISTS agreements_updated ON agreements(updated, id);
CREATE INDEX IF NOT EXISTS agreements_customer_created ON agreements(customer, created, id);
CREATE INDEX IF NOT EXISTS agreements_customer_updated ON agreements(customer, updated, id);
CREATE INDEX IF NOT EXISTS agreements_supplier_created ON agreements(supplier, created, id);
CREATE INDEX IF NOT EXISTS agreements_supplier_updated ON agreements(supplier, updated, id);
CREATE INDEX IF NOT EXISTS agreements_anbieter_created ON agreements(anbieter, created, id);
CREATE INDEX IF NOT EXISTS agreements_anbieter_updated ON agreements(anbieter, updated, id);
CREATE INDEX IF NOT EXISTS agreements_offering_created ON agreements(offering, created, id);
CREATE INDEX IF NOT EXISTS agreements_offering_updated ON agreements(offering, updated, id);
CREATE INDEX IF NOT EXISTS agreements_status_created ON agreements(status, created, id);
CREATE INDEX IF NOT EXISTS agreements_status_updated ON agreements(status, updated, id);
CREATE TABLE IF NOT EXISTS events(
	seq INTEGER PRIMARY KEY, block INTEGER NOT NULL, tx INTEGER NOT NULL, txid TEXT NOT NULL,
	act TEXT NOT NULL, record TEXT NOT NULL, rid TEXT NOT NULL, status TEXT NOT NULL,
	hash TEXT NOT NULL, time TEXT NOT NULL, UNIQUE(block, tx));
CREATE INDEX IF NOT EXISTS events_record ON events(record, rid, seq);
CREATE INDEX IF NOT EXISTS events_act ON events(act, seq);
CREATE TABLE IF NOT EXISTS event_parties(party TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(party, seq)) WITHOUT ROWID;
`

// Open opens the read model at path, creating it when missing. A database
// of another format is removed and created anew (it is rebuilt from the
// chain by Project).
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	v, ok, err := s.meta(ctx, "format")
	if err != nil {
		return nil, errors.Join(err, s.w.close(), s.db.Close())
	}
	if ok && v != strconv.Itoa(format) {
		if err := errors.Join(s.w.close(), s.db.Close()); err != nil {
			return nil, fmt.Errorf("readmodel: close: %w", err)
		}
		if err := Remove(path); err != nil {
			return nil, err
		}
		if s, err = open(ctx, path); err != nil {
			return nil, err
		}
	}
	if err := s.load(ctx); err != nil {
		return nil, errors.Join(err, s.w.close(), s.db.Close())
	}
	return s, nil
}

func open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(OFF)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("readmodel: open %s: %w", path, err)
	}
	// Each connection keeps its own page cache: a bounded pool bounds the
	// memory that concurrent reads take (two cores serve no more at once).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return nil, errors.Join(fmt.Errorf("readmodel: create %s: %w", path, err), db.Close())
	}
	if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO meta(name, value) VALUES ('format', ?), ('next', '0')`, strconv.Itoa(format)); err != nil {
		return nil, errors.Join(fmt.Errorf("readmodel: create %s: %w", path, err), db.Close())
	}
	w, err := newWriter(ctx, db)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &Store{db: db, w: w, path: path, grown: make(chan struct{}), closed: make(chan struct{})}, nil
}

// Remove deletes a read model's files (the database and its WAL).
func Remove(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("readmodel: remove: %w", err)
		}
	}
	return nil
}

func (s *Store) meta(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("readmodel: read %s: %w", name, err)
	}
	return v, true, nil
}

func (s *Store) load(ctx context.Context) error {
	v, _, err := s.meta(ctx, "next")
	if err != nil {
		return err
	}
	next, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("readmodel: checkpoint %q: %w", v, err)
	}
	var head sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&head); err != nil {
		return fmt.Errorf("readmodel: read events: %w", err)
	}
	s.next, s.head = next, head.Int64
	return nil
}

// Close closes the database; waiters get ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	return errors.Join(s.w.close(), s.db.Close())
}

// Next is the number of the next block to project: the blocks before it
// are in the read model.
func (s *Store) Next() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// Head is the sequence number of the newest projected event (0: none).
func (s *Store) Head() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// Grown returns a channel that is closed when the next block is projected.
func (s *Store) Grown() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grown
}

// Failed returns why projection stopped, or nil while it runs.
func (s *Store) Failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// WaitFor returns once the block is projected: reads then see every write
// up to it. It returns the projection's error if projection stopped.
func (s *Store) WaitFor(ctx context.Context, block uint64) error {
	for {
		s.mu.Lock()
		next, grown, failed := s.next, s.grown, s.failed
		s.mu.Unlock()
		if next > block {
			return nil
		}
		if failed != nil {
			return failed
		}
		select {
		case <-grown:
		case <-ctx.Done():
			return fmt.Errorf("readmodel: waiting for block %d: %w", block, ctx.Err())
		case <-s.closed:
			return ErrClosed
		}
	}
}
