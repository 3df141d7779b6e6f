"""Bemis-Murcko group keys for SMILES, computed with RDKit.

The group key of a molecule with rings is `scaffold:` plus the canonical SMILES of
`MurckoScaffold.GetScaffoldForMol`. A molecule without rings has an empty scaffold, so its key
is `molecule:` plus its own canonical SMILES, which keeps acyclic molecules from collapsing
into one group. An unparseable SMILES gets `invalid:` plus its text as read. The prefixes
keep the three kinds of key apart.

NOTE: canonical SMILES can differ between RDKit releases, and with them the scaffold groups.
The manifest records the RDKit version, and the reproducibility check would show the change.
"""

RING = 0
ACYCLIC = 1
INVALID = 2


def rdkit_version() -> str:
    import rdkit

    return str(rdkit.__version__)


class ScaffoldKeyer:
    """Group keys for SMILES cells; RDKit is imported only when this strategy is used."""

    def __init__(self, *, invalid_as_group: bool) -> None:
        from rdkit import Chem, rdBase
        from rdkit.Chem.Scaffolds import MurckoScaffold

        self._chem = Chem
        self._murcko = MurckoScaffold
        self._block_logs = rdBase.BlockLogs
        self.invalid_as_group = invalid_as_group

    def group_key(self, smiles: bytes) -> tuple[bytes, int]:
        """Return the group key and its kind (RING, ACYCLIC or INVALID) for one SMILES."""
        try:
            text = smiles.decode("utf-8")
        except UnicodeDecodeError:
            return b"invalid:" + smiles, INVALID

        # RDKit prints a parse error for every invalid SMILES; the caller reports them instead.
        with self._block_logs():
            molecule = self._chem.MolFromSmiles(text)
        if molecule is None:
            return b"invalid:" + smiles, INVALID

        scaffold = self._chem.MolToSmiles(self._murcko.GetScaffoldForMol(molecule))
        if scaffold:
            return b"scaffold:" + scaffold.encode("utf-8"), RING
        return b"molecule:" + self._chem.MolToSmiles(molecule).encode("utf-8"), ACYCLIC
