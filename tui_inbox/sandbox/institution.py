"""Which Canvas a sandbox is (``--institution N``): its name, its shard, its host names.

Two schools are two Canvas instances: each numbers its users, courses and conversations from 1,
so conversation 7 exists at both as two different conversations, while their global ids
(shard * 10**13 + local id, Switchman's ``Shard::IDS_PER_SHARD``) never meet, because each
instance's objects live on shards of their own. Institution 1 is the seeded school the demo
and the tests have always had; everything it derives from the seed is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

IDS_PER_SHARD = 10**13  # switchman: Shard::IDS_PER_SHARD


@dataclass(frozen=True, slots=True)
class Institution:
    id: int
    name: str
    shard: int  # the shard its objects live on: the prefix of every global id
    login_domain: str  # people's logins are name@login_domain
    web_host: str  # the host of the URLs its data carries (media comments)
    root_account_uuid: str
    token_prefix: str  # personal tokens look like "<prefix>~<64 hex>", as Canvas's do

    def global_id(self, local_id: int | str) -> str:
        return str(self.shard * IDS_PER_SHARD + int(local_id))

    def local_id(self, global_id: int) -> int | None:
        """The local id of one of this shard's global ids; None for another shard's."""
        return global_id % IDS_PER_SHARD if global_id // IDS_PER_SHARD == self.shard else None

    def salt(self, seed: int) -> int | str:
        """What seeds its random draws and derived secrets: the bare seed for institution 1 (so
        its data stays what it always was), the seed and the institution for any other."""
        return seed if self.id == 1 else f"{seed}:institution-{self.id}"


INSTITUTIONS = {
    1: Institution(1, "State University", 2107, "example.edu", "canvas.example.edu",
                   "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs", "7"),
    2: Institution(2, "Riverbend Community College", 3561, "riverbend.example.edu", "canvas.riverbend.example.edu",
                   "Rb7kQ2mWcX9pLsT4vNe8HyJd3FgZa6UoBi1qCrEt", "12"),
}
FIRST = INSTITUTIONS[1]


def institution(number: int) -> Institution:
    try:
        return INSTITUTIONS[number]
    except KeyError:
        raise ValueError(f"no institution {number}: there are {', '.join(map(str, INSTITUTIONS))}") from None
