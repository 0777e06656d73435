#! SB315 3:7
# Every clip names its own model, but the file's is still read first.
model wan2.9-t2v
clip a 5s
  model wan2.7-t2v
  One
