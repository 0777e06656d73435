#! SB307 3:15
model wan2.6-t2v
prompt-extend off
clip a 6s
  shot 3s: One
  shot 3s: Two
