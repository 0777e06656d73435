#! SB306 10:3
# The file's model takes several shots; this clip's own model does not.
model wan2.7-t2v
clip fine 5s
  shot 2s: One
  shot 3s: Two
clip single 5s
  model wan2.5-t2v-preview
  shot 2s: One
  shot 3s: Two
