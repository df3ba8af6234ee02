package chaincode

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

func TestStateKeysAreTheShimsCompositeKeys(t *testing.T) {
	for _, tc := range []struct {
		got        string
		objectType string
		attrs      []string
	}{
		{PartyKey("stadt-koeln"), keyParty, []string{"stadt-koeln"}},
		{AgreementKey("koeln-bauantrag"), keyAgreement, []string{"koeln-bauantrag"}},
		{FeeVersionKey("koeln-bauantrag", 2), keyFeeVersion, []string{"koeln-bauantrag", version(2)}},
		{PriceModelKey("digitaler-bauantrag", 1), keyPriceModel, []string{"digitaler-bauantrag", version(1)}},
		{OfferingVersionKey("digitaler-bauantrag", 3), keyOfferingVersion, []string{"digitaler-bauantrag", version(3)}},
	} {
		want, err := shim.CreateCompositeKey(tc.objectType, tc.attrs)
		require.NoError(t, err)
		require.Equal(t, want, tc.got)
	}
}
