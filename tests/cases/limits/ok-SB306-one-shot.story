model wan2.5-t2v-preview
clip a 5s
  shot 5s: One
