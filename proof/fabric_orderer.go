package proof

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// bftQuorum is the number of distinct consenters a BFT block needs.
func bftQuorum(n int) int {
	f := (n - 1) / 3
	return (n + f + 2) / 2 // ceil((n+f+1)/2)
}

// ordererSignatures checks a block's orderer signatures: Raft needs one
// valid signature of an orderer, BFT a quorum of distinct consenters.
func (v *verifier) ordererSignatures(b *common.Block) (string, error) {
	n := b.GetHeader().GetNumber()
	if v.cfg == nil {
		return "", fmt.Errorf("block %d: no verified channel config to check orderer signatures against", n)
	}
	m, err := signatureMetadata(b)
	if err != nil {
		return "", err
	}
	if len(m.GetSignatures()) == 0 {
		return "", fmt.Errorf("block %d carries no orderer signatures", n)
	}
	header := headerBytes(b.GetHeader())
	var valid, problems []string
	consenters := map[uint32]bool{}
	for i, s := range m.GetSignatures() {
		var signed, creator []byte
		var consenter *common.Consenter
		if len(s.GetSignatureHeader()) == 0 && len(s.GetIdentifierHeader()) > 0 {
			if !v.cfg.bft {
				problems = append(problems, fmt.Sprintf("signature %d names its signer by id, which only BFT orderers do", i))
				continue
			}
			ih := &common.IdentifierHeader{}
			if err := proto.Unmarshal(s.GetIdentifierHeader(), ih); err != nil {
				problems = append(problems, fmt.Sprintf("signature %d: identifier header: %v", i, err))
				continue
			}
			for _, c := range v.cfg.consenters {
				if c.GetId() == ih.GetIdentifier() {
					consenter = c
				}
			}
			if consenter == nil {
				problems = append(problems, fmt.Sprintf("signature %d: consenter %d is not in the channel config", i, ih.GetIdentifier()))
				continue
			}
			creator, err = proto.Marshal(&msp.SerializedIdentity{Mspid: consenter.GetMspId(), IdBytes: consenter.GetIdentity()})
			if err != nil {
				problems = append(problems, fmt.Sprintf("signature %d: consenter %d: %v", i, consenter.GetId(), err))
				continue
			}
			signed = concat(m.GetValue(), s.GetIdentifierHeader(), header)
		} else {
			sh := &common.SignatureHeader{}
			if err := proto.Unmarshal(s.GetSignatureHeader(), sh); err != nil {
				problems = append(problems, fmt.Sprintf("signature %d: signature header: %v", i, err))
				continue
			}
			creator = sh.GetCreator()
			signed = concat(m.GetValue(), s.GetSignatureHeader(), header)
		}
		id, err := v.identify(creator)
		if err != nil {
			problems = append(problems, fmt.Sprintf("signature %d: %v", i, err))
			continue
		}
		if !id.org.orderer {
			problems = append(problems, fmt.Sprintf("signature %d: %s is not an orderer organisation of the channel config", i, id.mspID))
			continue
		}
		if !id.hasRole(msp.MSPRole_ORDERER) {
			problems = append(problems, fmt.Sprintf("signature %d: the certificate of %s lacks the OU %q", i, id, id.org.roleOU(msp.MSPRole_ORDERER)))
			continue
		}
		if err := verifySignature(id.cert, signed, s.GetSignature()); err != nil {
			problems = append(problems, fmt.Sprintf("signature %d by %s: %v", i, id, err))
			continue
		}
		valid = append(valid, id.String())
		if v.cfg.bft {
			if consenter == nil {
				consenter = v.consenterOf(id)
			}
			if consenter != nil {
				consenters[consenter.GetId()] = true
			}
		}
	}
	if v.cfg.bft {
		q := bftQuorum(len(v.cfg.consenters))
		if len(consenters) < q {
			return "", fmt.Errorf("block %d: %d of %d BFT consenters signed validly, the quorum is %d%s", n, len(consenters), len(v.cfg.consenters), q, problemList(problems))
		}
		return fmt.Sprintf("%d of %d BFT consenters signed (quorum %d): %s%s", len(consenters), len(v.cfg.consenters), q, strings.Join(valid, ", "), problemList(problems)), nil
	}
	if len(valid) == 0 {
		return "", fmt.Errorf("block %d: no valid orderer signature%s", n, problemList(problems))
	}
	return fmt.Sprintf("signed by %s%s", strings.Join(valid, ", "), problemList(problems)), nil
}

// consenterOf finds the BFT consenter whose identity is id's certificate.
func (v *verifier) consenterOf(id *identity) *common.Consenter {
	for _, c := range v.cfg.consenters {
		if c.GetMspId() != id.mspID {
			continue
		}
		if certs, err := parsePEMCerts(c.GetIdentity()); err == nil && bytes.Equal(certs[0].Raw, id.cert.Raw) {
			return c
		}
	}
	return nil
}
