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
	"github.com/efa-marktplatz/registry/webhook"
)

// projection is the running read model.
type projection struct {
	store *readmodel.Store
	stop  func() error
}

// startWebhooks opens the webhook subscriptions in DATA/webhooks.sqlite
// (kept apart from the read model, which is rebuildable) and runs their
// deliveries until stop.
func startWebhooks(ctx context.Context, cfg *config, rm *readmodel.Store, logger *slog.Logger) (*webhook.Service, func() error, error) {
	svc, err := webhook.Open(ctx, filepath.Join(cfg.data, "webhooks.sqlite"), rm, webhook.Options{Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	return svc, func() error {
		cancel()
		return errors.Join(<-done, svc.Close())
	}, nil
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
	if cfg.verifyReadModel {
		if err := verifyReadModel(ctx, path); err != nil {
			return nil, err
		}
	}
	began := time.Now()
	store, stop, err := readmodel.Start(ctx, path, cl, logger)
	if err != nil {
		return nil, err
	}
	p := &projection{store: store, stop: stop}
	logger.Info("read model: caught up", "path", path, "blocks", store.Next(), "took", time.Since(began).Round(time.Millisecond).String())
	return p, nil
}

// verifyReadModel checks an existing read model before it is served.
func verifyReadModel(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	store, err := readmodel.Open(ctx, path)
	if err != nil {
		return err
	}
	if err := store.Verify(ctx); err != nil {
		return errors.Join(fmt.Errorf("%w (start with --rebuild-read-model to rebuild it from the ledger)", err), store.Close())
	}
	return store.Close()
}
