model wan2.6-t2v-us
region virginia
scene a
  shot 3s: One
  shot 2s: Two
  shot 5s: Three
