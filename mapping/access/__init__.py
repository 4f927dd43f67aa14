"""Travel time to border posts: a friction surface built from the layers, cost-distance
times to the posts (scikit-image's minimum-cost-path, the same rule as GRASS ``r.cost``),
catchments and the allocation of every cell to its quickest post, and surge scenarios that
send displaced people to the posts they reach quickest."""
