# The vendor guide's multi-shot example on wan2.7: four shots over ten seconds.
storyboard "未來花園"
model wan2.7-t2v-2026-04-25
resolution 720P
ratio 16:9
language zh
prompt-extend on
watermark on
seed 12345

clip garden 10s
  展現未來科技與自然和諧共存的美好願景。
  shot [0-2s]
    未來城市的空中花園全景,懸浮植物在微風中搖曳。
  shot [2-4s]
    機器人園丁正在精心修剪植物,動作精準而優雅。
  shot [4-7s]
    陽光透過透明穹頂灑下,照亮整個花園,展現科技與自然的完美融合。
  shot [7-10s]
    鏡頭拉遠,展現整個未來城市的壯觀景象,空中花園只是其中的一部分。
