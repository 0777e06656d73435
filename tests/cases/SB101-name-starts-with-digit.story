#! SB101 3:6
# A name starts with a letter (of any script) or `_`, then letters, digits, `_` and `-`.
cast 3號: 一名警探
clip a 3s
  a quiet street
