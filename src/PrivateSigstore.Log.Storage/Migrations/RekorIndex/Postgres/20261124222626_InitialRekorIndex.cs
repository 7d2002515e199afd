using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PrivateSigstore.Log.Storage.Migrations.RekorIndex.Postgres
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
                    lookup_key = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    entry_id = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false)
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
