#! SB306 5:3
model wan2.5-t2v-preview
clip a 5s
  shot 2s: One
  shot 3s: Two
