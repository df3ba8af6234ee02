// Command registryctl operates the EfA contract registry from the shell.
//
//	registryctl network up     [--dir DIR] [--base-port N] [--bft] ...
//	registryctl network down   [--dir DIR]
//	registryctl network status [--dir DIR]
//	registryctl keys new       --out FILE
//	registryctl sign           --key FILE --type ACT --message JSON [--channel C]
//	registryctl act            --key FILE --type ACT --message JSON [--api URL] [--token T]
//	registryctl proof export   --agreement ID [--api URL] [--out FILE] [--from BLOCK]
//	registryctl proof roots    --data DIR | --network DIR [--out DIR]
//	registryctl verify         [--roots DIR] [--genesis HASH] [--checkpoint N:HASH] [--json] [--wide] [-q] BUNDLE...
//	registryctl invoices export --anbieter ID --year Y [--out DIR] [--api URL]
//	registryctl invoices check FILE...
//
// The API's URL is --api, else $REGISTRY_API, else http://127.0.0.1:8080.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/efa-marktplatz/registry/network"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "registryctl:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  registryctl network up     [flags]   start the native Fabric network (idempotent)
  registryctl network down   [flags]   stop the processes "up" started
  registryctl network status [flags]   list the nodes and whether they run
  registryctl network add-org --name N --msp MSPID --domain D [flags]
                                       add a member org to the running channel (configuration update
                                       signed by the members' admins), start its peer and chaincodes
  registryctl keys new       --out FILE                     create a signing key (secp256k1), print its address
  registryctl sign           --key FILE --type ACT --message JSON
                                                           sign an act (EIP-712); print the request body
  registryctl act            --key FILE --type ACT --message JSON [--api URL] [--token TOKEN]
                                                           fetch the types, sign, post the act, print the answer
  registryctl proof export   --agreement ID [--api URL] [--out FILE] [--from BLOCK]
                                                           save an agreement's proof bundle
  registryctl proof roots    --data DIR | --network DIR [--out DIR]
                                                           write the organisations' root certificates (MSPID.pem)
                                                           and, for a network, the genesis block's hash (genesis.sha256)
  registryctl verify         [--roots DIR] [--genesis HASH] [--checkpoint N:HASH] [--json] [--wide] [-q] BUNDLE...
                                                           verify bundles offline against the roots you trust;
                                                           exits 1 on any failure, naming the first broken link
  registryctl invoices export --anbieter ID --year Y [--out DIR] [--api URL]
                                                           write an Anbieter's invoices of a year as XRechnung (NUMBER.xml)
  registryctl invoices check FILE...                       check XRechnung files against the EN 16931 and XRechnung rules
  registryctl events         [--follow] [--checkpoint FILE] [--after ID] [--record K] [--id ID] [--party P] [--act A,B] [--api URL]
                                                           print the event feed as JSON lines; --follow keeps it open,
                                                           --checkpoint resumes after the last event printed
  (a message may leave out nonce and deadline: a fresh nonce and a deadline in an hour are filled in;
   the API is --api URL, else $REGISTRY_API, else http://127.0.0.1:8080)`

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "network":
		if len(args) < 2 {
			return errors.New(usage)
		}
		return networkCmd(ctx, args[1], args[2:], out)
	case "keys":
		if len(args) < 2 || args[1] != "new" {
			return errors.New(usage)
		}
		return keysNew(args[2:], out)
	case "sign":
		return signCmd(args[1:], out)
	case "act":
		return actCmd(ctx, args[1:], out)
	case "proof":
		return proofCmd(ctx, args[1:], out)
	case "verify":
		return verifyCmd(args[1:], out)
	case "invoices":
		return invoicesCmd(ctx, args[1:], out)
	case "events":
		return eventsCmd(ctx, args[1:], out)
	}
	return errors.New(usage)
}

// apiEnv names the registry API when --api is not given.
const apiEnv = "REGISTRY_API"

// defaultAPI is the registry API without --api or $REGISTRY_API.
const defaultAPI = "http://127.0.0.1:8080"

// apiTarget is the registry API a command talks to: --api, else
// $REGISTRY_API, else the default; it remembers which, to say so when the
// API cannot be reached.
type apiTarget struct {
	value string
	url   string
	from  string
}

// apiFlag defines --api on a command's flags; call resolve after parsing.
func apiFlag(fs *flag.FlagSet) *apiTarget {
	a := &apiTarget{}
	def := defaultAPI
	if v := os.Getenv(apiEnv); v != "" {
		def = v
	}
	fs.StringVar(&a.value, "api", def, "registry API (default: $"+apiEnv+", else "+defaultAPI+")")
	return a
}

// resolve fixes the URL and its source once the flags are parsed.
func (a *apiTarget) resolve(fs *flag.FlagSet) {
	a.url = strings.TrimRight(a.value, "/")
	a.from = "the default"
	if os.Getenv(apiEnv) != "" {
		a.from = "$" + apiEnv
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "api" {
			a.from = "--api"
		}
	})
}

// unreachable says which API could not be reached, and where its URL came from.
func (a *apiTarget) unreachable(err error) error {
	return fmt.Errorf("cannot reach the registry API at %s (from %s; set --api or $%s): %w", a.url, a.from, apiEnv, err)
}

func networkCmd(ctx context.Context, verb string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("network "+verb, flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join("network", "run"), "data, logs and crypto of the network")
	basePort := fs.Int("base-port", 17000, "first of the 127.0.0.1 ports the network uses (about 300); an existing network keeps its own")
	bft := fs.Bool("bft", false, "four SmartBFT orderers instead of three Raft orderers (when the network is created)")
	containers := fs.Bool("containers", false, "run every node in a Docker container of its own (images of make images; docker-compose, a compose file generated into --dir), when the network is created")
	tools := fs.String("tools", "", "tools module that builds the Fabric binaries (default: network/tools here or above)")
	batchTimeout := fs.Duration("batch-timeout", 50*time.Millisecond, "orderer batch timeout")
	maxMessages := fs.Int("max-message-count", 64, "orderer batch size in transactions")
	server := fs.String("chaincode-server", "", "registry-chaincode binary (default: next to registryctl)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up on 'up' or 'add-org' after this long")
	orgName := fs.String("name", "", "add-org: the new member org's name, e.g. KDO")
	orgMSP := fs.String("msp", "", "add-org: its MSP id, e.g. KDOMSP")
	orgDomain := fs.String("domain", "", "add-org: its domain, e.g. kdo.registry.test")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *server == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("locate registryctl: %w", err)
		}
		*server = filepath.Join(filepath.Dir(exe), "registry-chaincode")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	n, err := network.New(network.Config{
		Dir: *dir, BasePort: *basePort, BFT: *bft, Containers: *containers, ToolsDir: *tools, ChaincodeServer: []string{*server},
		BatchTimeout: *batchTimeout, MaxMessageCount: *maxMessages, Logger: logger,
	})
	if err != nil {
		return err
	}
	switch verb {
	case "up":
		if _, err := os.Stat(*server); err != nil && !n.Containers() {
			return fmt.Errorf("chaincode server %s: %w (build it: go build -o bin/ ./cmd/registry-chaincode)", *server, err)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return n.Up(ctx)
	case "add-org":
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return n.AddOrg(ctx, network.Org{Name: *orgName, MSPID: *orgMSP, Domain: *orgDomain})
	case "down":
		return n.Down()
	case "status":
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NODE\tKIND\tORG\tADDRESS\tPID")
		for _, s := range n.Status() {
			pid := "stopped"
			if s.PID != 0 {
				pid = fmt.Sprint(s.PID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, s.Org.MSPID, s.Address(), pid)
		}
		return tw.Flush()
	}
	return errors.New(usage)
}
