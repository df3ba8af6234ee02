package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/xrechnung"
)

// invoicesCmd runs `registryctl invoices …`.
func invoicesCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "export":
		return invoicesExport(ctx, args[1:], out)
	case "check":
		return invoicesCheck(args[1:], out)
	}
	return errors.New(usage)
}

// invoicesCheck checks XRechnung files against the EN 16931 and XRechnung
// business rules the registry's invoices must satisfy (package xrechnung);
// it exits 1 if any file breaks one.
func invoicesCheck(files []string, out io.Writer) error {
	if len(files) == 0 {
		return errors.New("invoices check: name the XRechnung files to check")
	}
	failed := 0
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("invoices check: %w", err)
		}
		violations := xrechnung.Check(doc, xrechnung.XRechnung)
		errs := xrechnung.Errors(violations)
		switch {
		case len(errs) > 0:
			failed++
			fmt.Fprintf(out, "%s: BREAKS %d rule(s)\n", f, len(errs))
		case len(violations) > 0:
			fmt.Fprintf(out, "%s: OK, with %d warning(s)\n", f, len(violations))
		default:
			fmt.Fprintf(out, "%s: OK (EN 16931, XRechnung 3.0)\n", f)
		}
		for _, v := range violations {
			fmt.Fprintf(out, "  %s\n", v)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files break XRechnung rules", failed, len(files))
	}
	return nil
}

// invoicesExport writes an Anbieter's invoices of a year as XRechnung
// files, NUMBER.xml each, as the API renders them.
func invoicesExport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("invoices export", flag.ContinueOnError)
	target := apiFlag(fs)
	anbieter := fs.String("anbieter", "", "party id of the Anbieter")
	year := fs.Uint("year", 0, "the year invoiced")
	dir := fs.String("out", ".", "directory to write the XRechnung files to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target.resolve(fs)
	switch {
	case *anbieter == "":
		return errors.New("invoices export: --anbieter is required")
	case *year == 0:
		return errors.New("invoices export: --year is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("invoices export: %w", err)
	}
	written, cursor := 0, ""
	for {
		var page struct {
			Items      []schema.Invoice `json:"items"`
			NextCursor string           `json:"nextCursor"`
		}
		path := "/v1/invoices?limit=1000&anbieter=" + url.QueryEscape(*anbieter)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := fetchJSON(ctx, target, path, &page); err != nil {
			return fmt.Errorf("invoices export: %w", err)
		}
		for _, inv := range page.Items {
			if uint64(inv.Year) != uint64(*year) {
				continue
			}
			doc, err := fetchXML(ctx, target, "/v1/invoices/"+url.PathEscape(inv.ID)+"/xrechnung.xml")
			if err != nil {
				return fmt.Errorf("invoices export: invoice %s: %w", inv.ID, err)
			}
			file := filepath.Join(*dir, inv.Number+".xml")
			if err := atomicfile.Write(file, doc, 0o644); err != nil {
				return fmt.Errorf("invoices export: %w", err)
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s cents\n", file, inv.Kind, inv.Customer, strconv.FormatUint(uint64(inv.Total), 10))
			written++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	fmt.Fprintf(out, "%d XRechnung files of %s for %d in %s\n", written, *anbieter, *year, *dir)
	return nil
}

// fetchXML reads a path of the API that answers XML; a problem is an error
// with its rule.
func fetchXML(ctx context.Context, target *apiTarget, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.url+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, target.unreachable(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, body)
	}
	return body, nil
}
