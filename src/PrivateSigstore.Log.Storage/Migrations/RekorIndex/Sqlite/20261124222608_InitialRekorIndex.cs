using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PrivateSigstore.Log.Storage.Migrations.RekorIndex.Sqlite
{
    /// <inheritdoc />
    public partial class InitialRekorIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rekor_index",
                columns: table => new
                {
                    lookup_key = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    entry_id = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rekor_index", x => new { x.lookup_key, x.entry_id });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rekor_index");
        }
    }
}
