package proof

import (
	"errors"
	"strings"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// VerifyFabric checks the blocks against the supplied roots and returns the
// transactions named by txIDs, in ledger order, as far as they verified.
// Every check is recorded in r under its Check name, with a subject such as
// "block 7" or "tx 3f2a… in block 7".
//
// The pinned genesis block anchors the check: the bundle's config block must
// be block 0 and have the header hash trust.Genesis pins (configuration
// updates after it are not followed: a later config block is refused). Its
// organisations' root certificates must be exactly the ones the auditor
// supplied, and it names the orderer and application organisations. Each
// block's data hash, its link to the previous block where that is in the
// bundle too, and its orderer signatures are checked; each named
// transaction's validation code, creator signature, proposal hash,
// chaincode, endorsement signatures, the chaincode's endorsement policy
// (taken as the channel's default, /Channel/Application/Endorsement: the
// chaincode definition is not in the bundle) and the key-level policies that
// earlier transactions of the bundle set on the keys it writes. A
// transaction is returned when its block's checks held; a failure of its own
// checks is in the report.
func VerifyFabric(r *Report, f *evidence.FabricBlocks, trust *Trust, channel, chaincode string, txIDs []string) []*Tx {
	if f == nil {
		r.Add(CheckBlockFormat, "bundle", errors.New("the bundle holds no Fabric ledger"))
		return nil
	}
	if trust == nil {
		trust = &Trust{}
	}
	v := &verifier{r: r, trust: trust, channel: channel, chaincode: chaincode}
	v.verifyConfig(f.ConfigBlock)
	blocks := v.verifyBlocks(f.Blocks)
	return v.verifyTxs(blocks, txIDs)
}

// FabricBlockHash is the header hash of a Fabric block (protobuf
// common.Block): what Trust.Genesis pins.
func FabricBlockHash(raw []byte) ([]byte, error) {
	b, err := parseBlock(raw)
	if err != nil {
		return nil, err
	}
	return headerHash(b.GetHeader()), nil
}

// verifier checks Fabric evidence; it holds what the checks share.
type verifier struct {
	r         *Report
	trust     *Trust
	channel   string
	chaincode string
	cfg       *channelConfig // nil unless the config block is the pinned genesis block and verified
	cfgBlock  *common.Block  // the parsed config block, if it parsed
}

// problemList appends the problems met on the way to a verdict, if any, to
// its description.
func problemList(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	return "; " + strings.Join(problems, "; ")
}
