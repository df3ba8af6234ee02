package client

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Evidence implements evidencer: through the peer's qscc system chaincode,
// the blocks that hold the transactions and the channel's genesis block,
// which carries the configuration the verifier anchors in (auditors pin its
// hash). Fabric blocks are whole and signed by the orderers: from is ignored.
//
// The blocks are as the peer served them (its bytes, not re-encoded), one
// per block number, ascending.
func (f *Fabric) Evidence(ctx context.Context, txIDs []string, _ *uint64) (*evidence.Set, error) {
	blocks := map[uint64][]byte{}
	for _, id := range txIDs {
		raw, b, err := f.qsccBlock(ctx, "GetBlockByTxID", id)
		if err != nil {
			return nil, fmt.Errorf("client: evidence: block of tx %s: %w", id, err)
		}
		blocks[b.GetHeader().GetNumber()] = raw
	}
	genesis, g, err := f.qsccBlock(ctx, "GetBlockByNumber", "0")
	if err != nil {
		return nil, fmt.Errorf("client: evidence: genesis block: %w", err)
	}
	if n := g.GetHeader().GetNumber(); n != 0 {
		return nil, fmt.Errorf("client: evidence: asked for the genesis block, the peer served block %d", n)
	}
	fb := &evidence.FabricBlocks{ConfigBlock: genesis}
	for _, n := range slices.Sorted(maps.Keys(blocks)) {
		fb.Blocks = append(fb.Blocks, blocks[n])
	}
	return &evidence.Set{Backend: evidence.BackendFabric, Channel: f.cfg.Channel, Chaincode: f.cfg.Chaincode, Fabric: fb}, nil
}

// TxBlock implements Backend, asking the peer's qscc for the block that
// holds the transaction.
func (f *Fabric) TxBlock(ctx context.Context, txID string) (uint64, error) {
	_, b, err := f.qsccBlock(ctx, "GetBlockByTxID", txID)
	if err != nil {
		return 0, fmt.Errorf("client: block of tx %s: %w", txID, err)
	}
	return b.GetHeader().GetNumber(), nil
}

// Channel implements Backend.
func (f *Fabric) Channel() string { return f.cfg.Channel }

// qsccBlock evaluates a qscc function that returns a block, on the channel
// with one further argument.
func (f *Fabric) qsccBlock(ctx context.Context, function, arg string) ([]byte, *common.Block, error) {
	raw, err := f.network.GetContract("qscc").EvaluateWithContext(ctx, function, client.WithArguments(f.cfg.Channel, arg))
	if err != nil {
		return nil, nil, fmt.Errorf("qscc %s: %w", function, unavailable(err))
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, nil, fmt.Errorf("qscc %s: block: %w", function, err)
	}
	if b.GetHeader() == nil {
		return nil, nil, fmt.Errorf("qscc %s: block without header", function)
	}
	return raw, b, nil
}
