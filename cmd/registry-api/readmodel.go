package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/readmodel"
)

// projection is the running read model.
type projection struct {
	store *readmodel.Store
	stop  func() error
}

// startReadModel opens the read model (rebuilding it when asked, or when it
// is missing), starts its projection from the ledger and waits until it
// has caught up with the ledger's height at start.
func startReadModel(ctx context.Context, cfg *config, cl *client.Client, logger *slog.Logger) (*projection, error) {
	path := cfg.readModel
	if path == "" {
		path = filepath.Join(cfg.data, "read-model.sqlite")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if cfg.rebuildReadModel {
		logger.Info("read model: removed, to be rebuilt from the ledger", "path", path)
		if err := readmodel.Remove(path); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		logger.Info("read model: missing, building it from the ledger", "path", path)
	}
	began := time.Now()
	store, err := readmodel.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if cfg.verifyReadModel {
		if err := store.Verify(ctx); err != nil {
			return nil, errors.Join(fmt.Errorf("%w (start with --rebuild-read-model to rebuild it from the ledger)", err), store.Close())
		}
	}
	pctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- store.Project(pctx, cl, logger) }()
	p := &projection{store: store, stop: func() error {
		cancel()
		err := <-done
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return errors.Join(err, store.Close())
	}}
	height, err := cl.Height(ctx)
	if err == nil && height > 0 {
		err = store.WaitFor(ctx, height-1)
	}
	if err != nil {
		if stopErr := p.stop(); stopErr != nil && !errors.Is(stopErr, err) {
			logger.Error("closing the read model", "err", stopErr)
		}
		return nil, fmt.Errorf("read model: catching up: %w", err)
	}
	logger.Info("read model: caught up", "path", path, "blocks", store.Next(), "took", time.Since(began).Round(time.Millisecond).String())
	return p, nil
}
