package readmodel

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// querier is what reading a record's acts needs: a transaction of the
// projection's writer or a reader's.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// writer is the projection's one connection, with its statements prepared
// once: parsing each statement anew took a quarter of the projection's time.
type writer struct {
	db   *sql.DB
	conn *sql.Conn

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("readmodel: writer connection: %w", err)
	}
	return &writer{db: db, conn: conn, stmts: map[string]*sql.Stmt{}}, nil
}

func (w *writer) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, st := range w.stmts {
		_ = st.Close()
	}
	return w.conn.Close()
}

// wtx is a transaction of the writer.
type wtx struct {
	*sql.Tx
	w *writer
}

func (w *writer) begin(ctx context.Context) (*wtx, error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &wtx{Tx: tx, w: w}, nil
}

// stmt returns the transaction's use of a prepared statement.
func (q *wtx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	q.w.mu.Lock()
	st, ok := q.w.stmts[query]
	if !ok {
		var err error
		// Prepared on the database: a transaction on the writer's
		// connection then reuses the connection's statement (one prepared
		// on the connection itself is prepared again for each transaction).
		if st, err = q.w.db.PrepareContext(ctx, query); err != nil {
			q.w.mu.Unlock()
			return nil, err
		}
		q.w.stmts[query] = st
	}
	q.w.mu.Unlock()
	return q.Tx.StmtContext(ctx, st), nil
}

func (q *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (q *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// row is a QueryRow whose preparation may have failed.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (q *wtx) QueryRowContext(ctx context.Context, query string, args ...any) row {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}
