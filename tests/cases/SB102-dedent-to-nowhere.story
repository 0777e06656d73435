#! SB102 5:1
clip a 3s
  shot 3s
      deeper
    back to no block
